package main

import (
	"testing"
	"time"
)

func TestLateAndLost(t *testing.T) {
	t.Parallel()
	d := newDelivery("m", 3, 1, 2) // 3 messages, 1 group of 2 watchers
	for i := range d.acked {
		d.acked[i] = true
	}
	d.acked[2] = false // never acknowledged: neither late nor lost
	now := time.Now()
	d.receive(0, 0, body("m", 0, now), 1, now)
	d.receive(0, 1, body("m", 0, now), 1, now)
	d.receive(0, 0, body("m", 1, now), 2, now)
	by := d.arrivals()
	d.receive(0, 1, body("m", 1, now), 2, now) // after the wait
	late, lost := d.lateAndLost(by)
	if late != 1 || lost != 0 {
		t.Errorf("late, lost = %d, %d; want 1, 0", late, lost)
	}
	d2 := newDelivery("m", 2, 1, 1)
	d2.acked[0], d2.acked[1] = true, true
	d2.receive(0, 0, body("m", 0, now), 1, now)
	start := time.Now()
	late, lost = d2.settle(50*time.Millisecond, 50*time.Millisecond)
	if late != 0 || lost != 1 {
		t.Errorf("late, lost = %d, %d; want 0, 1 (message 1 never came)", late, lost)
	}
	if time.Since(start) < 100*time.Millisecond {
		t.Error("settle did not give the missing delivery a grace")
	}
}
