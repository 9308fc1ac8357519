package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// body encodes a message's number and scheduled send time, so that any
// receiver can time it from the schedule.
func body(prefix string, i int, scheduled time.Time) string {
	return fmt.Sprintf("%s %d %d", prefix, i, scheduled.UnixNano())
}

// parseBody decodes body; ok is false for other messages.
func parseBody(prefix, b string) (i int, scheduled time.Time, ok bool) {
	f := strings.Fields(b)
	if len(f) != 3 || f[0] != prefix {
		return 0, time.Time{}, false
	}
	i, err1 := strconv.Atoi(f[1])
	ns, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, time.Time{}, false
	}
	return i, time.Unix(0, ns), true
}

// delivery is the bookkeeping of a delivery test: what was sent to which
// group (a workspace), what each watcher of the group received, how late,
// how often, and in which order.
type delivery struct {
	prefix   string
	n        int // messages scheduled
	lat      *Latency
	group    []int  // message -> group
	acked    []bool // message -> the send succeeded
	watchers [][]*watcherLog
	firsts   atomic.Int64 // first deliveries so far
	// next is another delivery the same watchers feed, when a test goes on
	// with new messages on open streams.
	next atomic.Pointer[delivery]
}

// watcherLog is what one watcher received.
type watcherLog struct {
	mu       sync.Mutex
	counts   []uint8
	lastSeq  int64
	disorder int
}

func newDelivery(prefix string, n, groups, watchersPerGroup int) *delivery {
	d := &delivery{prefix: prefix, n: n, lat: NewLatency(), group: make([]int, n), acked: make([]bool, n)}
	for range groups {
		ws := make([]*watcherLog, watchersPerGroup)
		for i := range ws {
			ws[i] = &watcherLog{counts: make([]uint8, n)}
		}
		d.watchers = append(d.watchers, ws)
	}
	return d
}

// fresh returns an empty delivery of the same messages: same groups, same
// acknowledgements.
func (d *delivery) fresh() *delivery {
	out := newDelivery(d.prefix, d.n, len(d.watchers), len(d.watchers[0]))
	copy(out.group, d.group)
	copy(out.acked, d.acked)
	return out
}

// receive records that watcher w of group g got message body with log
// position seq at time at.
func (d *delivery) receive(g, w int, b string, seq int64, at time.Time) {
	i, scheduled, ok := parseBody(d.prefix, b)
	if !ok || i < 0 || i >= d.n {
		return
	}
	l := d.watchers[g][w]
	l.mu.Lock()
	if seq <= l.lastSeq {
		l.disorder++
	}
	l.lastSeq = seq
	l.counts[i] = min(l.counts[i]+1, 255)
	first := l.counts[i] == 1
	l.mu.Unlock()
	if first {
		d.lat.Record(at.Sub(scheduled))
		d.firsts.Add(1)
	}
}

// expected is how many first deliveries the acknowledged sends call for.
func (d *delivery) expected() int64 {
	var n int64
	for i, ok := range d.acked {
		if ok {
			n += int64(len(d.watchers[d.group[i]]))
		}
	}
	return n
}

// wait waits until every acknowledged message reached every watcher of its
// group, or nothing new arrived for the timeout: a slow delivery still
// counts (in the latency), only one that stopped coming counts as lost.
func (d *delivery) wait(timeout time.Duration) {
	want := d.expected()
	last, idleSince := d.firsts.Load(), time.Now()
	for last < want && time.Since(idleSince) < timeout {
		time.Sleep(20 * time.Millisecond)
		if n := d.firsts.Load(); n != last {
			last, idleSince = n, time.Now()
		}
	}
}

// tally counts acknowledged messages some watcher of their group never got
// (lost), deliveries beyond the first (duplicated), out-of-order
// deliveries, and failed sends.
func (d *delivery) tally() (lost, dup, disorder, failed int) {
	for i, ok := range d.acked {
		if !ok {
			failed++
		}
		for _, l := range d.watchers[d.group[i]] {
			l.mu.Lock()
			c := l.counts[i]
			l.mu.Unlock()
			if ok && c == 0 {
				lost++
			}
			if c > 1 {
				dup += int(c) - 1
			}
		}
	}
	for _, g := range d.watchers {
		for _, l := range g {
			l.mu.Lock()
			disorder += l.disorder
			l.mu.Unlock()
		}
	}
	return lost, dup, disorder, failed
}

// arrivals is, for every watcher, which messages had reached it: taken when
// a wait ends, to tell late deliveries from lost ones afterwards.
type arrivals [][][]bool // group -> watcher -> message

func (d *delivery) arrivals() arrivals {
	out := make(arrivals, len(d.watchers))
	for g, ws := range d.watchers {
		out[g] = make([][]bool, len(ws))
		for w, l := range ws {
			got := make([]bool, d.n)
			l.mu.Lock()
			for i, c := range l.counts {
				got[i] = c > 0
			}
			l.mu.Unlock()
			out[g][w] = got
		}
	}
	return out
}

// lateAndLost splits the deliveries of acknowledged messages that had not
// arrived by the snapshot: late ones arrived since, lost ones never did.
func (d *delivery) lateAndLost(by arrivals) (late, lost int) {
	for i, ok := range d.acked {
		if !ok {
			continue
		}
		g := d.group[i]
		for w, l := range d.watchers[g] {
			if by[g][w][i] {
				continue
			}
			l.mu.Lock()
			c := l.counts[i]
			l.mu.Unlock()
			if c > 0 {
				late++
			} else {
				lost++
			}
		}
	}
	return late, lost
}

// settle waits for the deliveries (see wait), then, if some are missing,
// grace longer for latecomers: a delivery that arrives in the grace is
// late, one that never does is lost.
func (d *delivery) settle(wait, grace time.Duration) (late, lost int) {
	d.wait(wait)
	by := d.arrivals()
	if d.firsts.Load() < d.expected() {
		d.wait(grace)
	}
	return d.lateAndLost(by)
}
