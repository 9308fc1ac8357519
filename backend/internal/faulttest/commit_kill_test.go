package faulttest_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// TestReplicaKilledAroundCommit (STR-06): the two places a replica can die
// in a write, made to happen rather than left to chance.
//
// Before the commit: another client holds the workspace's row, so a
// visitor's message sent through replica A waits inside its transaction;
// A is SIGKILLed while it waits, and once MariaDB has ended that
// transaction the message is not in the database.
//
// After the commit: replica A2 stores a message whose answer the network
// loses; A2 is SIGKILLed once the row is in the database.
//
// Each client then retries on replica B with its client id. B answers OK,
// with the id of the stored row after the commit; each message is stored
// once, with one event, and a watcher on B receives each once.
func TestReplicaKilledAroundCommit(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	dbURL, c := replicasOnNATS(t, 3, nil)
	beforeCommit, afterCommit, b := c.replicas[0], c.replicas[1], c.replicas[2]
	vs := c.visitors(t, b.URL, 2)
	seen := watchAll(t, b.URL, c.owner.Token, c.ws.ID, c.cursor(t, b.URL))
	db := openDB(t, dbURL)
	toB := rpcclient.New(b.URL, rpcclient.Connect)
	l := newLedger()
	ctx := t.Context()

	// Before the commit.
	body1, cid1 := "before the commit "+uuid.NewString(), uuid.NewString()
	lock, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback() }()
	var id string
	if err := lock.QueryRowContext(ctx, `SELECT id FROM workspaces WHERE id = ? FOR UPDATE`, c.ws.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() {
		_, err := vs[0].Send(ctx, rpcclient.New(beforeCommit.URL, rpcclient.Connect), cid1, body1)
		first <- err
	}()
	var waiting []any // the MariaDB threads of transactions waiting for the row
	if !waitUntil(t, 10*time.Second, func() (bool, error) {
		var err error
		waiting, err = lockWaiters(ctx, db)
		return len(waiting) > 0, err
	}) {
		t.Fatal("the send through A never waited for the workspace's row")
	}
	beforeCommit.Kill()
	if err := <-first; err == nil {
		t.Fatal("the send through A was acknowledged although A died waiting for the row")
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	// MariaDB goes on with the dead replica's statement once the row is
	// free, then finds its connection gone and rolls the transaction back.
	if !waitUntil(t, 20*time.Second, func() (bool, error) {
		var open int
		err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.innodb_trx
			WHERE trx_mysql_thread_id IN (`+store.Placeholders(len(waiting))+`)`, waiting...).Scan(&open)
		return open == 0, err
	}) {
		t.Fatal("the killed replica's transaction never ended")
	}
	if id, err := storedMessage(ctx, db, cid1); err != nil {
		t.Fatal(err)
	} else if id != "" {
		t.Fatal("the message A was writing when it died before its commit is in the database: the kill did not fall before the commit")
	}
	m1, err := vs[0].Send(ctx, toB, cid1, body1)
	if err != nil {
		t.Fatalf("the retry on B of the message A died before committing: %v", err)
	}
	l.acked[body1] = m1.GetId()

	// After the commit.
	body2, cid2 := "after the commit "+uuid.NewString(), uuid.NewString()
	hc := rpcclient.HTTPClient(rpcclient.Connect)
	hc.Transport = lostAnswers{hc.Transport}
	toA2 := tandemv1connect.NewWidgetServiceClient(hc, afterCommit.URL, rpcclient.ClientOptions(rpcclient.Connect)...)
	call, hangUp := context.WithCancel(rpcclient.WithToken(ctx, vs[1].Token))
	defer hangUp()
	second := make(chan error, 1)
	go func() {
		_, err := toA2.SendMessage(call, &tandemv1.WidgetServiceSendMessageRequest{
			ConversationId: vs[1].ConversationID, ClientId: cid2, Body: body2})
		second <- err
	}()
	var committed string
	if !waitUntil(t, 10*time.Second, func() (bool, error) {
		var err error
		committed, err = storedMessage(ctx, db, cid2)
		return committed != "", err
	}) {
		t.Fatal("A2 never committed the message")
	}
	afterCommit.Kill()
	hangUp()
	if err := <-second; connect.CodeOf(err) != connect.CodeCanceled && connect.CodeOf(err) != connect.CodeUnavailable {
		t.Fatalf("the call to A2 ended with %v, want Canceled or Unavailable (no answer read)", err)
	}
	m2, err := vs[1].Send(ctx, toB, cid2, body2)
	if err != nil {
		t.Fatalf("the retry on B of the message A2 committed: %v", err)
	}
	if m2.GetId() != committed {
		t.Errorf("the retry on B was answered with message %s, the one A2 committed is %s", m2.GetId(), committed)
	}
	l.acked[body2] = m2.GetId()

	checkExactlyOnce(t, dbURL, c.ws.ID, l)
	// A note after both: once the watcher has it, it has every event of
	// the log before it, a second copy of either message included.
	marker := "after the retries " + uuid.NewString()
	if _, err := toB.Conversation.AddNote(rpcclient.WithToken(ctx, c.owner.Token), &tandemv1.AddNoteRequest{
		ConversationId: vs[1].ConversationID, ClientId: uuid.NewString(), Body: marker}); err != nil {
		t.Fatal(err)
	}
	if seen.waitFor(30*time.Second, func(ev *tandemv1.Event) bool { return ev.GetMessage().GetBody() == marker }) == nil {
		t.Fatalf("B's watcher never saw the note written after the retries (stream: %v)", seen.ended())
	}
	for _, body := range []string{body1, body2} {
		if n := seen.count(func(ev *tandemv1.Event) bool { return ev.GetMessage().GetBody() == body }); n != 1 {
			t.Errorf("the watcher received %q %d times, want once", body, n)
		}
	}
}

// lockWaiters lists the MariaDB threads whose transactions wait for a lock.
func lockWaiters(ctx context.Context, db *sql.DB) ([]any, error) {
	rows, err := db.QueryContext(ctx, `SELECT trx_mysql_thread_id FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'`)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// storedMessage is the id of the message stored with the client id ("" if
// there is none).
func storedMessage(ctx context.Context, db *sql.DB, clientID string) (string, error) {
	var id string
	err := db.QueryRowContext(ctx, `SELECT id FROM messages WHERE client_id = ?`, clientID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}
