package outbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tandem-inbox/tandem/desktop/internal/durable"
)

// journalName is the outbox file in its directory.
const journalName = "outbox.jsonl"

// record is one line of the journal: an item's new content, or its removal.
type record struct {
	Put  *Item  `json:"put,omitempty"`
	Drop string `json:"drop,omitempty"`
}

// journal is the append-only file behind an outbox. Each record is one line,
// synced before the call that wrote it returns. On open, a torn last line
// (a crash in the middle of a write) is cut off; the line before it was
// synced, so nothing acknowledged is lost.
type journal struct {
	dir     string
	lock    *os.File
	f       *os.File
	size    int64
	records int
	live    map[string]*Item
	log     *slog.Logger
}

func openJournal(dir string, log *slog.Logger) (*journal, []*Item, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("outbox directory: %w", err)
	}
	// One process at a time: two appending to one journal would overwrite
	// each other's records.
	lock, err := os.OpenFile(filepath.Join(dir, "outbox.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open outbox lock: %w", err)
	}
	if err := lockFile(lock); err != nil {
		_ = lock.Close()
		return nil, nil, err
	}
	path := filepath.Join(dir, journalName)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		_ = lock.Close()
		return nil, nil, fmt.Errorf("open outbox: %w", err)
	}
	j := &journal{dir: dir, lock: lock, f: f, live: map[string]*Item{}, log: log}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := durable.SyncDir(dir); err != nil {
			_ = j.close()
			return nil, nil, err
		}
	}
	if err := j.replay(); err != nil {
		_ = j.close()
		return nil, nil, err
	}
	items := make([]*Item, 0, len(j.live))
	for _, it := range j.live {
		c := *it
		items = append(items, &c)
	}
	return j, items, nil
}

// replay reads every record and leaves the file positioned at its end.
func (j *journal) replay() error {
	r := bufio.NewReader(j.f)
	var good int64
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(b) > 0 { // torn last write: never acknowledged
				return j.truncate(good)
			}
			break
		}
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		var rec record
		if err := json.Unmarshal(bytes.TrimSpace(b), &rec); err != nil || (rec.Put == nil && rec.Drop == "") {
			if _, peekErr := r.Peek(1); errors.Is(peekErr, io.EOF) {
				return j.truncate(good) // torn last line that happens to end in a newline
			}
			return fmt.Errorf("outbox file %s is damaged at line %d", filepath.Join(j.dir, journalName), line)
		}
		j.apply(rec)
		good += int64(len(b))
	}
	j.size = good
	_, err := j.f.Seek(good, io.SeekStart)
	return err
}

func (j *journal) truncate(at int64) error {
	if err := j.f.Truncate(at); err != nil {
		return fmt.Errorf("repair outbox: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return err
	}
	j.size = at
	_, err := j.f.Seek(at, io.SeekStart)
	return err
}

func (j *journal) apply(rec record) {
	j.records++
	if rec.Put != nil {
		it := *rec.Put
		j.live[it.ClientID] = &it
		return
	}
	delete(j.live, rec.Drop)
}

func (j *journal) put(it *Item) error {
	c := *it
	return j.append(record{Put: &c})
}

func (j *journal) drop(clientID string) error {
	return j.append(record{Drop: clientID})
}

// append writes one record and syncs it. A failed write is cut off again so
// that the next record starts on a clean line.
func (j *journal) append(rec record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := j.f.WriteAt(b, j.size); err != nil {
		_ = j.f.Truncate(j.size)
		return err
	}
	if err := j.f.Sync(); err != nil {
		_ = j.f.Truncate(j.size)
		return err
	}
	j.size += int64(len(b))
	j.apply(rec)
	if err := j.maybeCompact(); err != nil {
		// Compaction only saves space; the record itself is safe.
		j.log.Warn("compact outbox", "err", err)
	}
	return nil
}

// maybeCompact rewrites the journal with only the items still needed once
// most of its records are stale: delivered items are left out (their
// messages are on the server), queued and failed ones kept.
func (j *journal) maybeCompact() error {
	keep := 0
	for _, it := range j.live {
		if it.State != Delivered {
			keep++
		}
	}
	if j.records < 64 || j.records < 4*keep {
		return nil
	}
	var buf bytes.Buffer
	kept := map[string]*Item{}
	for id, it := range j.live {
		if it.State == Delivered {
			continue
		}
		b, err := json.Marshal(record{Put: it})
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
		kept[id] = it
	}
	path := filepath.Join(j.dir, journalName)
	if err := durable.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("compact outbox: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("reopen outbox: %w", err)
	}
	_ = j.f.Close()
	j.f, j.size, j.records, j.live = f, int64(buf.Len()), len(kept), kept
	return nil
}

// close closes the journal and releases the lock (closing the file does).
func (j *journal) close() error {
	return errors.Join(j.f.Close(), j.lock.Close())
}
