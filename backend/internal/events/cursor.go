package events

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// ResyncRequired is the machine-readable reason of an unusable cursor: the
// client must reload its snapshot and watch from the new cursor.
const ResyncRequired = "RESYNC_REQUIRED"

// ErrResync answers a cursor that cannot be resumed from.
func ErrResync(why string) error {
	return apperr.New(apperr.FailedPrecondition, "cannot resume from this cursor ("+why+"); reload and watch from the new cursor").WithDetail(ResyncRequired)
}

// Cursors makes and checks stream cursors: opaque tokens naming a position
// in one workspace's log, bound to the principal they were issued to and to
// this database (its epoch), and MACed so they cannot be forged or moved.
type Cursors struct {
	key   []byte
	epoch []byte
	macs  sync.Pool // keyed HMACs to reuse: a catch-up makes one cursor per event and stream
}

// LoadCursors reads (creating on first use) the cursor key and the database
// epoch, shared by every replica through the database.
func LoadCursors(ctx context.Context, db *store.DB) (*Cursors, error) {
	key, err := secret(ctx, db, "cursor_key", 32)
	if err != nil {
		return nil, err
	}
	epoch, err := secret(ctx, db, "epoch", 8)
	if err != nil {
		return nil, err
	}
	return &Cursors{key: key, epoch: epoch}, nil
}

func secret(ctx context.Context, db *store.DB, name string, n int) ([]byte, error) {
	fresh := make([]byte, n)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	return Secret(ctx, db, name, fresh)
}

// Secret returns the server secret stored under name (at most 64 bytes),
// storing fresh there first when there is none. Replicas starting at once
// each offer their own; the first insert wins, the others' are ignored and
// they read the winner's, so every replica agrees. A stored secret is never
// replaced.
func Secret(ctx context.Context, db *store.DB, name string, fresh []byte) ([]byte, error) {
	if _, err := db.ExecContext(ctx, db.Dialect.InsertIgnore()+` INTO server_secrets (name, value) VALUES (?, ?)`, name, fresh); err != nil {
		return nil, fmt.Errorf("store %s: %w", name, err)
	}
	var v []byte
	if err := db.GetContext(ctx, &v, `SELECT value FROM server_secrets WHERE name = ?`, name); err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	return v, nil
}

// A Position is a place in a workspace's log: the seq of the last event
// read and a fingerprint of that event's id. The epoch tells a cursor of
// another database; a database restored from a backup brings its epoch
// back, and once written to again holds other events under the cursor's
// seq: the fingerprint tells that (STR-03). Mark 0 is no fingerprint (the
// start of the log, or a head that retention pruned): such a position
// resumes on its seq alone.
type Position struct {
	Seq  int64
	Mark uint64
}

// At is the position of ev.
func At(ev Event) Position { return Position{Seq: ev.Seq, Mark: markOf(ev.ID)} }

// markOf is an event id's fingerprint, never 0 for an id.
func markOf(id string) uint64 {
	if id == "" {
		return 0
	}
	sum := sha256.Sum256([]byte(id))
	return binary.BigEndian.Uint64(sum[:8]) | 1
}

// cursorVersion 2 added the mark; a version 1 cursor (issued before an
// upgrade) is refused as malformed, so its client reloads once.
const cursorVersion = 2

// Make returns the cursor for position pos of the workspace, for principal.
func (c *Cursors) Make(workspaceID, principal string, pos Position) string {
	b := make([]byte, 0, 64)
	b = append(b, cursorVersion)
	b = append(b, c.epoch...)
	b = binary.BigEndian.AppendUint64(b, uint64(pos.Seq)) //nolint:gosec // a sequence number (never negative), encoded as its 64 bits
	b = binary.BigEndian.AppendUint64(b, pos.Mark)
	mac := c.mac(b, workspaceID, principal)
	return base64.RawURLEncoding.EncodeToString(append(b, mac...))
}

func (c *Cursors) mac(b []byte, workspaceID, principal string) []byte {
	m, _ := c.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, c.key)
	}
	defer func() {
		m.Reset()
		c.macs.Put(m)
	}()
	m.Write(b)
	m.Write([]byte{0})
	m.Write([]byte(workspaceID))
	m.Write([]byte{0})
	m.Write([]byte(principal))
	return m.Sum(nil)[:16]
}

// Parse checks a cursor for the workspace and principal and returns its
// position. Any failure is ErrResync: the cursor is from another workspace,
// principal or database, was altered, or is not a cursor at all. (Whether
// the log still holds the position's event, Follow checks.)
func (c *Cursors) Parse(cursor, workspaceID, principal string) (Position, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	at := 1 + len(c.epoch)
	n := at + 16
	if err != nil || len(b) != n+16 || b[0] != cursorVersion {
		return Position{}, ErrResync("malformed cursor")
	}
	if !hmac.Equal(b[n:], c.mac(b[:n], workspaceID, principal)) {
		return Position{}, ErrResync("cursor not issued for this stream")
	}
	if !hmac.Equal(b[1:at], c.epoch) {
		return Position{}, ErrResync("cursor from another database")
	}
	pos := Position{Seq: int64(binary.BigEndian.Uint64(b[at : at+8])), Mark: binary.BigEndian.Uint64(b[at+8 : n])} //nolint:gosec // the sequence number's 64 bits, as encoded
	if pos.Seq < 0 {
		return Position{}, errors.New("negative seq")
	}
	return pos, nil
}
