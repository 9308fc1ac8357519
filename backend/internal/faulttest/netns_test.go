package faulttest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// host is a network namespace joined to the test's by a veth pair: a
// machine of its own on a two-address network, whose cable the test can
// pull. Packets then go nowhere and nothing answers, as when a phone
// leaves the network or a NAT forgets a connection: no reset, no error.
type host struct {
	t          *testing.T
	name       string
	here, peer string // the addresses of the test's end and the host's
}

// newHost makes a host (it needs root and iproute2), removed when the test
// ends.
func newHost(t *testing.T) *host {
	t.Helper()
	if os.Geteuid() != 0 {
		storetest.Missing(t, "a network namespace needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		storetest.Missing(t, "a network namespace needs ip (iproute2)")
	}
	id := rand.IntN(1 << 20)
	subnet := fmt.Sprintf("10.%d.%d", 200+id%50, (id/50)%256)
	h := &host{t: t, name: fmt.Sprintf("tnd%x", id), here: subnet + ".1", peer: subnet + ".2"}
	ours, theirs := h.name+"a", h.name+"b"
	h.run("ip", "netns", "add", h.name)
	t.Cleanup(func() { _ = exec.CommandContext(context.Background(), "ip", "netns", "del", h.name).Run() }) // the veth pair goes with it
	h.run("ip", "link", "add", ours, "type", "veth", "peer", "name", theirs)
	h.run("ip", "link", "set", theirs, "netns", h.name)
	h.run("ip", "addr", "add", h.here+"/30", "dev", ours)
	h.run("ip", "link", "set", ours, "up")
	h.run("ip", "netns", "exec", h.name, "ip", "addr", "add", h.peer+"/30", "dev", theirs)
	h.run("ip", "netns", "exec", h.name, "ip", "link", "set", theirs, "up")
	return h
}

func (h *host) run(args ...string) {
	h.t.Helper()
	if out, err := exec.CommandContext(context.Background(), args[0], args[1:]...).CombinedOutput(); err != nil {
		h.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// command runs a program on the host.
func (h *host) command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.name}, args...)...)
}

// unplug takes the host's end of the cable down: from then on nothing
// reaches it and nothing it sent arrives.
func (h *host) unplug() {
	h.t.Helper()
	h.run("ip", "netns", "exec", h.name, "ip", "link", "set", h.name+"b", "down")
}

// freeAddr is a free port on the test's end of the cable.
func (h *host) freeAddr() string {
	h.t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", h.here+":0")
	if err != nil {
		h.t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// lossy makes the host drop each TCP packet it sends or receives with the
// given chance, in percent (nftables' random number, so it needs nft), and
// returns what reads how many it has dropped so far. Packets are dropped
// one by one, not in bursts: TCP retransmits each after its timeout.
func (h *host) lossy(percent int) (dropped func() int) {
	h.t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		storetest.Missing(h.t, "packet loss needs nft (nftables)")
	}
	rule := fmt.Sprintf("meta l4proto tcp numgen random mod 100 < %d counter drop", percent)
	h.nft("add table inet loss")
	for _, hook := range []string{"input", "output"} {
		h.nft("add chain inet loss " + hook + " { type filter hook " + hook + " priority 0 ; }")
		h.nft("add rule inet loss " + hook + " " + rule)
	}
	return func() int {
		out, err := h.command(context.Background(), "nft", "list", "table", "inet", "loss").CombinedOutput()
		if err != nil {
			h.t.Fatalf("nft list: %v\n%s", err, out)
		}
		n := 0
		for _, m := range regexp.MustCompile(`packets (\d+)`).FindAllStringSubmatch(string(out), -1) {
			k, _ := strconv.Atoi(m[1])
			n += k
		}
		return n
	}
}

// heal stops the host dropping packets.
func (h *host) heal() {
	h.t.Helper()
	h.nft("delete table inet loss")
}

func (h *host) nft(command string) {
	h.t.Helper()
	h.run(append([]string{"ip", "netns", "exec", h.name, "nft"}, strings.Fields(command)...)...)
}
