package conversation_test

import (
	"testing"
	"time"

	"github.com/tandem-inbox/tandem/backend/internal/faulttest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// The delays, each way, between a racing replica and MariaDB in
// TestClaimRacesUnderLatency. Each statement is a prepare and an execute,
// two round trips, and a claim's call makes some thirty: at claimLatency
// a claim's read of the conversation's row and its write of the owner are
// half a second apart (well under a millisecond on loopback), and a
// 2-agent round takes a second and a half. The 50-agent race runs at
// crowdLatency: its 49 losers take the row's lock one after another, each
// holding it for a few round trips, and at claimLatency a round would take
// five seconds. rivalLatency is the other link's in a race against a
// close, a transfer or the router. claimSpike is the jump one replica's
// link takes in the middle of a race.
const (
	claimLatency = 20 * time.Millisecond
	rivalLatency = 10 * time.Millisecond
	crowdLatency = 5 * time.Millisecond
	claimSpike   = 200 * time.Millisecond
)

// TestClaimRacesUnderLatency is CONC-01 with a slow database: the two
// racing replicas reach MariaDB each through a proxy that delays every
// byte, so that a claim's read of the conversation and its write are far
// apart and the racing transactions overlap for their whole length. Agents
// on both replicas claim one waiting conversation at once (2, 8, then 50
// of them); a claim races a close, a transfer and the router, the faster
// link on either side in turn; and in a 2-agent race one replica's link
// jumps to claimSpike while the claims are in flight. Everything holds as
// on loopback: each round has exactly one winner, every losing claim is
// refused with FailedPrecondition naming the winner (never Internal or
// Unavailable: the delays stay far inside the lock wait and the calls'
// deadline), the log holds one assigned event per owner and replays to
// the stored row.
//
// The world is made, and every check reads, on a third server reaching the
// database directly, so only the racing calls are slowed. MariaDB only:
// SQLite is one process's file, with no network to slow.
func TestClaimRacesUnderLatency(t *testing.T) {
	t.Parallel()
	storetest.NeedMySQL(t)
	ctx := t.Context()
	opts := storetest.Options(t, "mysql")
	cfg, err := store.MySQLConfig(opts.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxies := make([]*faulttest.Proxy, 2)
	replicas := make([]store.Options, len(proxies))
	for i := range proxies {
		p, err := faulttest.StartProxy(ctx, cfg.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close) // after the replicas' cleanup: they start later
		proxied := cfg.Clone()
		proxied.Addr = p.Addr()
		proxies[i], replicas[i] = p, store.Options{URL: proxied.FormatDSN()}
	}
	r := newRaceRigOn(t, opts, replicas, 50)
	links := func(first, second time.Duration) {
		proxies[0].SetLatency(first)
		proxies[1].SetLatency(second)
	}

	links(claimLatency, claimLatency)
	for _, size := range []struct{ agents, rounds int }{{2, 2}, {8, 2}} {
		for round := range size.rounds {
			r.claimAtOnce(size.agents, round)
		}
	}

	// The claim is made on the first replica, its rival on the second,
	// with the claim's link slower, then faster, then much faster: with
	// the links even, the same side would lock the row first nearly every
	// time (a transfer looks its new owner up first; the router checks no
	// session). The first two rounds overlap the two transactions for all
	// three rivals, the last the claim's and the router's: with the claim's
	// row lock taken out, each such round fails (two owners, or a log that
	// does not replay).
	rivalLinks := [][2]time.Duration{{claimLatency, rivalLatency}, {rivalLatency, claimLatency}, {crowdLatency, claimLatency}}
	r.claimAgainst(len(rivalLinks), func(round int) { links(rivalLinks[round][0], rivalLinks[round][1]) })

	// The second replica's link jumps to claimSpike while both claims are
	// on their way (about when their transactions begin, as the machine's
	// pace has it), and calms down once the round is over.
	links(claimLatency, claimLatency)
	fired := make(chan struct{})
	spike := time.AfterFunc(8*claimLatency, func() {
		proxies[1].SetLatency(claimSpike)
		close(fired)
	})
	r.claimAtOnce(2, 2)
	if !spike.Stop() {
		<-fired
	}

	links(crowdLatency, crowdLatency)
	for round := range 2 {
		r.claimAtOnce(50, round)
	}
}
