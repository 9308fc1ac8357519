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

const cursorVersion = 1

// Make returns the cursor for position seq of the workspace, for principal.
func (c *Cursors) Make(workspaceID, principal string, seq int64) string {
	b := make([]byte, 0, 64)
	b = append(b, cursorVersion)
	b = append(b, c.epoch...)
	b = binary.BigEndian.AppendUint64(b, uint64(seq)) //nolint:gosec // a sequence number (never negative), encoded as its 64 bits
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

// Parse checks a cursor for the workspace and principal and returns its seq.
// Any failure is ErrResync: the cursor is from another workspace, principal
// or database, was altered, or is not a cursor at all.
func (c *Cursors) Parse(cursor, workspaceID, principal string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	n := 1 + len(c.epoch) + 8
	if err != nil || len(b) != n+16 || b[0] != cursorVersion {
		return 0, ErrResync("malformed cursor")
	}
	if !hmac.Equal(b[n:], c.mac(b[:n], workspaceID, principal)) {
		return 0, ErrResync("cursor not issued for this stream")
	}
	if !hmac.Equal(b[1:1+len(c.epoch)], c.epoch) {
		return 0, ErrResync("cursor from another database")
	}
	seq := int64(binary.BigEndian.Uint64(b[1+len(c.epoch) : n])) //nolint:gosec // the sequence number's 64 bits, as encoded
	if seq < 0 {
		return 0, errors.New("negative seq")
	}
	return seq, nil
}
