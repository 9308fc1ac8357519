package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/google/uuid"
)

// seeder fills one workspace with conversations and their history straight
// through SQL (the API would take hours for a million messages), shaped as
// Tandem stores them: a contact per conversation, ten messages each, one
// conversation in five open, the rest closed, activity spread over time.
type seeder struct {
	db          *sql.DB
	workspaceID string
	ownerID     string
	perConv     int
	rng         *rand.Rand

	convs []string // every conversation seeded so far
	seq   int64    // the workspace's last seq
	clock int64    // last activity time handed out, unix ms
}

func newSeeder(db *sql.DB, workspaceID, ownerID string) *seeder {
	return &seeder{db: db, workspaceID: workspaceID, ownerID: ownerID, perConv: 10, rng: rand.New(rand.NewPCG(1, 2)), //nolint:gosec // seeded fixture data, not a secret
		clock: 1_700_000_000_000}
}

// rows is one multi-row INSERT being built.
type rows struct {
	head string
	n    int
	sb   strings.Builder
	args []any
}

func (r *rows) add(vals ...any) {
	if r.n > 0 {
		r.sb.WriteByte(',')
	}
	r.sb.WriteString("(" + strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",") + ")")
	r.args = append(r.args, vals...)
	r.n++
}

// growTo seeds messages until the workspace holds total, in batches of 100
// conversations written by four connections at once.
func (s *seeder) growTo(ctx context.Context, total int) error {
	type batch struct{ contacts, convs, msgs *rows }
	batches := make(chan batch, 4)
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for b := range batches {
				for _, r := range []*rows{b.contacts, b.convs, b.msgs} {
					if _, err := s.db.ExecContext(ctx, r.head+r.sb.String(), r.args...); err != nil {
						errc <- fmt.Errorf("seed: %w", err)
						for range batches { // drain so the producer ends
						}
						return
					}
				}
			}
		})
	}
	var err error
	for len(s.convs)*s.perConv < total && err == nil {
		b := batch{
			contacts: &rows{head: `INSERT INTO contacts (id, workspace_id, external_id, name, email, attributes, identity_verified, created_at, updated_at, last_seen_at) VALUES `},
			convs: &rows{head: `INSERT INTO conversations (id, workspace_id, contact_id, client_id, state, assignee_id, priority, channel, page_url,
				custom_fields, last_message_preview, last_message_at, last_activity_at, last_seq, created_at, updated_at) VALUES `},
			msgs: &rows{head: `INSERT INTO messages (id, workspace_id, conversation_id, seq, kind, visibility, author_kind, author_id,
				author_name, body, activity, activity_data, client_id, created_at) VALUES `},
		}
		for range min(100, (total-len(s.convs)*s.perConv+s.perConv-1)/s.perConv) {
			s.conversation(b.contacts, b.convs, b.msgs)
		}
		select {
		case batches <- b:
		case err = <-errc:
		}
	}
	close(batches)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	if err != nil {
		return err
	}
	// The messages come without their events, as if retention had pruned
	// them: the log's head says so.
	_, err = s.db.ExecContext(ctx, `UPDATE workspaces SET last_seq = ?, pruned_seq = ? WHERE id = ?`, s.seq, s.seq, s.workspaceID)
	return err
}

// conversation adds one conversation, its contact and its messages.
func (s *seeder) conversation(contacts, convs, msgs *rows) {
	contactID, convID := uuid.NewString(), uuid.NewString()
	s.clock += 1000 + s.rng.Int64N(60_000)
	start := s.clock - int64(s.perConv)*30_000
	name := fmt.Sprintf("Customer %d", len(s.convs))
	contacts.add(contactID, s.workspaceID, nil, name, "", "{}", 0, start, s.clock, s.clock)
	state, assignee := "closed", s.ownerID
	switch s.rng.IntN(10) {
	case 0:
		state, assignee = "pending", ""
	case 1:
		state = "active"
	}
	var last string
	for k := range s.perConv {
		s.seq++
		author, authorID, authorName := "customer", contactID, name
		if k%2 == 1 {
			author, authorID, authorName = "agent", s.ownerID, "Owner"
		}
		last = fmt.Sprintf("Message %d of conversation %d: is my parcel on its way? Order 48%04d.", k, len(s.convs), k)
		at := start + int64(k)*30_000
		msgs.add(uuid.NewString(), s.workspaceID, convID, s.seq, "text", "public", author, authorID, authorName, last, "", "{}",
			uuid.NewString(), at)
	}
	convs.add(convID, s.workspaceID, contactID, uuid.NewString(), state, assignee, "none", "web", "", "{}", last, s.clock, s.clock,
		s.seq, start, s.clock)
	s.convs = append(s.convs, convID)
}
