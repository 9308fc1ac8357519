package events

import "sync"

// Tap collects the workspaces whose logs advanced, whichever they are: a
// reactor learns from it where there is work, without watching (or
// walking) every workspace. Like every wake-up it is only a hint; a lost
// one is found by the reactor's sweep.
type Tap struct {
	// C has a value when workspaces were marked since the last Take.
	C <-chan struct{}

	c        chan struct{}
	hub      *Hub
	mu       sync.Mutex
	dirty    map[string]struct{}
	overflow bool
}

// tapCap bounds the workspaces a tap remembers between two Takes; past it
// the tap only says that it overflowed (the reactor then sweeps).
const tapCap = 1 << 16

// Tap starts collecting the workspaces whose logs advance, here or (through
// the broker) on another replica.
func (h *Hub) Tap() *Tap {
	t := &Tap{c: make(chan struct{}, 1), hub: h, dirty: map[string]struct{}{}}
	t.C = t.c
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.taps == nil {
		h.taps = map[*Tap]struct{}{}
	}
	h.taps[t] = struct{}{}
	return t
}

// Close stops the tap.
func (t *Tap) Close() {
	t.hub.mu.Lock()
	defer t.hub.mu.Unlock()
	delete(t.hub.taps, t)
}

// Take returns the workspaces marked since the last Take, or overflow when
// there were more than the tap keeps.
func (t *Tap) Take() (ids []string, overflow bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids = make([]string, 0, len(t.dirty))
	for ws := range t.dirty {
		ids = append(ids, ws)
	}
	clear(t.dirty)
	overflow, t.overflow = t.overflow, false
	return ids, overflow
}

func (t *Tap) mark(workspaceID string) {
	t.mu.Lock()
	if len(t.dirty) < tapCap {
		t.dirty[workspaceID] = struct{}{}
	} else if _, ok := t.dirty[workspaceID]; !ok {
		t.overflow = true
	}
	t.mu.Unlock()
	select {
	case t.c <- struct{}{}:
	default: // a signal is pending: the reader takes everything marked
	}
}
