package faulttest_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/email/mailtest"
	"github.com/tandem-inbox/tandem/backend/internal/fleet"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// TestIMAPReplicaKilled SIGKILLs the replica watching an email inbox's
// IMAP mailbox while mail keeps arriving there. The other replica takes
// the mailbox over when the dead one's lease runs out, and in the end
// every mail is in the inbox exactly once: none lost with the replica,
// none stored twice though the dead one may have stored a mail without
// noting it as taken.
func TestIMAPReplicaKilled(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	const user, password, mails = "support@shop.example", "mailbox secret", 40
	d := mailtest.StartDovecot(t)
	d.User(t, user, password)
	dbURL := sharedDatabase(t)
	c := startCluster(t, dbURL, 2, map[string]string{"TANDEM_REACTORS": "true", "TANDEM_IMAP_LEASE": "3s", "TANDEM_IMAP_POLL": "1m"})
	ctx := rpcclient.WithToken(context.Background(), c.owner.Token)
	host, port, _ := strings.Cut(d.Addr, ":")
	p, _ := strconv.Atoi(port)
	if _, err := rpcclient.New(c.replicas[0].URL, rpcclient.Connect).Email.CreateEmailInbox(ctx, &tandemv1.CreateEmailInboxRequest{
		WorkspaceId: c.ws.ID, Name: "Support", SupportAddress: user, SmtpHost: "127.0.0.1", SmtpPort: 25,
		SmtpTlsMode: tandemv1.SmtpTlsMode_SMTP_TLS_MODE_NONE, ImapHost: host, ImapPort: int32(p), //nolint:gosec // a port
		ImapTlsMode: tandemv1.ImapTlsMode_IMAP_TLS_MODE_NONE, ImapUsername: user, ImapPassword: password}); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, dbURL)
	stored := func() (conversations, messages int) {
		t.Helper()
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT subject) FROM conversations WHERE workspace_id = ? AND channel = 'email'`,
			c.ws.ID).Scan(&conversations, new(int)); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages m JOIN conversations v ON v.id = m.conversation_id
			WHERE v.workspace_id = ?`, c.ws.ID).Scan(&messages); err != nil {
			t.Fatal(err)
		}
		return conversations, messages
	}

	// Mail arrives every 50 ms; the watcher dies once a third of it is in.
	var watcher *fleet.Tandemd
	for i := range mails {
		d.Append(t, user, password, "INBOX", time.Now(), fmt.Appendf(nil, "From: c%d@example.com\r\nTo: %s\r\nSubject: Question %d\r\n"+
			"Message-ID: <q%d@example.com>\r\nDate: %s\r\n\r\nQuestion number %d.\r\n", i, user, i, i, time.Now().Format(time.RFC1123Z), i))
		time.Sleep(50 * time.Millisecond)
		if n, _ := stored(); watcher != nil || n < mails/3 {
			continue
		}
		var owner string
		if err := db.QueryRowContext(ctx, `SELECT lease_owner FROM email_imap_state`).Scan(&owner); err != nil {
			t.Fatal(err)
		}
		for _, r := range c.replicas {
			if strings.Contains(owner, ":"+strconv.Itoa(r.Pid())+":") {
				watcher = r
			}
		}
		if watcher == nil {
			t.Fatalf("no replica is the lease owner %q", owner)
		}
		watcher.Kill()
		t.Logf("the watcher was killed after %d of %d mails were sent", i+1, mails)
	}
	if watcher == nil {
		t.Fatal("the mailbox was not read while mail arrived")
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if convs, _ := stored(); convs >= mails {
			time.Sleep(time.Second) // nothing more arrives
			if convs, msgs := stored(); convs != mails || msgs != mails {
				t.Errorf("%d conversations with %d messages for %d mails", convs, msgs, mails)
			}
			var distinct int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT subject) FROM conversations WHERE workspace_id = ?`, c.ws.ID).
				Scan(&distinct); err != nil {
				t.Fatal(err)
			}
			if distinct != mails {
				t.Errorf("%d distinct subjects for %d mails", distinct, mails)
			}
			return
		}
		if convs, _ := stored(); time.Now().After(deadline) {
			t.Fatalf("%d of %d mails arrived after the watcher was killed", convs, mails)
		}
	}
}
