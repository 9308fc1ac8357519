package email_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/email"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// env is the email inbox service on one fresh database, with two
// workspaces, their owners and a group in each.
type env struct {
	*servicetest.Env
	svc    *email.Service
	w1, w2 workspace.Workspace
	o1, o2 *access.Principal
	g1, g2 workspace.Group
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{Env: servicetest.New(db, servicetest.Options{})}
	e.svc = email.NewService(db, e.Log, e.Workspaces, email.Options{Now: e.Clock.Now})
	user := func(name string) *access.Principal { return servicetest.As(e.User(t, name)) }
	e.o1, e.o2 = user("olivia"), user("wanda")
	var err error
	if e.w1, err = e.Workspaces.Create(e.Ctx, e.o1, "Shop One"); err != nil {
		t.Fatal(err)
	}
	if e.w2, err = e.Workspaces.Create(e.Ctx, e.o2, "Shop Two"); err != nil {
		t.Fatal(err)
	}
	if e.g1, err = e.Workspaces.CreateGroup(e.Ctx, e.o1, &access.Scope{WorkspaceID: e.w1.ID, Role: access.RoleOwner}, "Billing", "", 0); err != nil {
		t.Fatal(err)
	}
	if e.g2, err = e.Workspaces.CreateGroup(e.Ctx, e.o2, &access.Scope{WorkspaceID: e.w2.ID, Role: access.RoleOwner}, "Billing", "", 0); err != nil {
		t.Fatal(err)
	}
	return e
}

// settings are a complete, valid inbox for address.
func settings(address string) email.Settings {
	return email.Settings{Name: new("Support"), SupportAddress: new(address), SMTPHost: new("smtp.example.com"),
		SMTPPort: new(587), SMTPTLSMode: new(email.TLSStartTLS), SMTPUsername: new("support@example.com"),
		SMTPPassword: new("s3cret pass"), Signature: new("-- \nThe Shop One team")}
}

// refused runs fn, which must fail as match says, and checks that it changed
// no inbox and appended no event.
func (e *env) refused(t *testing.T, match func(error) bool, fn func() error) {
	t.Helper()
	storetest.Refused(t, e.DB, match, fn, `SELECT * FROM email_inboxes`)
}

func TestInboxLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		var in email.Inbox
		ev := storetest.Appends(t, db, events.EmailInboxCreated, func() (err error) {
			s := settings("Help@Shop-One.example")
			s.GroupID = new(e.g1.ID)
			in, err = e.svc.Create(e.Ctx, e.o1, e.w1.ID, s)
			return err
		})
		if strings.Contains(ev.Payload, "s3cret") || strings.Contains(ev.Payload, "smtp") {
			t.Errorf("the event carries SMTP settings: %s", ev.Payload)
		}
		want := email.Inbox{ID: in.ID, WorkspaceID: e.w1.ID, Name: "Support", SupportAddress: "help@shop-one.example",
			ReceivingToken: in.ReceivingToken, SMTPHost: "smtp.example.com", SMTPPort: 587, SMTPTLSMode: email.TLSStartTLS,
			SMTPUsername: "support@example.com", SMTPPassword: "s3cret pass", Signature: "-- \nThe Shop One team",
			GroupID: e.g1.ID, CreatedAt: servicetest.T0.UnixMilli(), UpdatedAt: servicetest.T0.UnixMilli()}
		if diff := cmp.Diff(want, in); diff != "" {
			t.Errorf("created (-want +got):\n%s", diff)
		}
		// From its first inbox on, the workspace's events reach the
		// outbound reactor (gated), from the creation on.
		cursor := func(ws string) int64 {
			t.Helper()
			seq, err := events.CursorAt(e.Ctx, db, email.ReactorName, ws)
			if err != nil {
				t.Fatal(err)
			}
			return seq
		}
		var created int64 // the creation is the workspace's last event
		if err := db.GetContext(e.Ctx, &created, `SELECT last_seq FROM workspaces WHERE id = ?`, e.w1.ID); err != nil {
			t.Fatal(err)
		}
		if got := cursor(e.w1.ID); got != created {
			t.Errorf("outbound reactor's cursor at %d, want %d (the creation)", got, created)
		}
		if got := cursor(e.w2.ID); got != 0 {
			t.Errorf("a workspace without an inbox has the outbound reactor's cursor at %d", got)
		}
		if !strings.HasPrefix(in.ReceivingToken, "in-") || len(in.ReceivingToken) != 23 {
			t.Errorf("receiving token %q", in.ReceivingToken)
		}
		if got, err := e.svc.Get(e.Ctx, e.w1.ID, in.ID); err != nil || got != in {
			t.Errorf("get: %+v, %v", got, err)
		}

		// Only the fields given change; the token never does.
		var up email.Inbox
		storetest.Appends(t, db, events.EmailInboxUpdated, func() (err error) {
			up, err = e.svc.Update(e.Ctx, e.o1, e.w1.ID, in.ID, email.Settings{SMTPPassword: new(""), SMTPPort: new(465),
				SMTPTLSMode: new(email.TLSImplicit), GroupID: new("")})
			return err
		})
		want.SMTPPassword, want.SMTPPort, want.SMTPTLSMode, want.GroupID = "", 465, email.TLSImplicit, ""
		if diff := cmp.Diff(want, up); diff != "" {
			t.Errorf("updated (-want +got):\n%s", diff)
		}
		// A change that changes nothing appends nothing.
		storetest.Appends(t, db, "", func() error {
			_, err := e.svc.Update(e.Ctx, e.o1, e.w1.ID, in.ID, email.Settings{Name: new(" Support ")})
			return err
		})

		second, err := e.svc.Create(e.Ctx, e.o1, e.w1.ID, settings("billing@shop-one.example"))
		if err != nil {
			t.Fatal(err)
		}
		if second.ReceivingToken == in.ReceivingToken {
			t.Error("two inboxes share a receiving token")
		}
		list, err := e.svc.List(e.Ctx, e.w1.ID)
		if err != nil || len(list) != 2 || list[0].ID != second.ID || list[1].ID != in.ID {
			t.Errorf("list: %+v, %v", list, err)
		}
		if list, err := e.svc.List(e.Ctx, e.w2.ID); err != nil || len(list) != 0 {
			t.Errorf("W2 sees W1's inboxes: %+v, %v", list, err)
		}

		storetest.Appends(t, db, events.EmailInboxDeleted, func() error { return e.svc.Delete(e.Ctx, e.o1, e.w1.ID, in.ID) })
		if _, err := e.svc.Get(e.Ctx, e.w1.ID, in.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("get after delete: %v", err)
		}
		if _, err := e.svc.WorkspaceOf(e.Ctx, in.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("workspace of a deleted inbox: %v", err)
		}
		if ws, err := e.svc.WorkspaceOf(e.Ctx, second.ID); err != nil || ws != e.w1.ID {
			t.Errorf("workspace of: %q, %v", ws, err)
		}
		if cursor(e.w1.ID) == 0 {
			t.Error("the outbound reactor stopped while an inbox is left")
		}
		if err := e.svc.Delete(e.Ctx, e.o1, e.w1.ID, second.ID); err != nil {
			t.Fatal(err)
		}
		if got := cursor(e.w1.ID); got != 0 {
			t.Errorf("no inbox left, the outbound reactor's cursor is still at %d", got)
		}
	})
}

func TestInboxRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		in, err := e.svc.Create(e.Ctx, e.o1, e.w1.ID, settings("help@shop-one.example"))
		if err != nil {
			t.Fatal(err)
		}
		with := func(f func(*email.Settings)) email.Settings {
			s := settings("other@shop-one.example")
			f(&s)
			return s
		}
		for _, tt := range []struct {
			name  string
			in    email.Settings
			match func(error) bool
		}{
			{"no name", with(func(s *email.Settings) { s.Name = nil }), servicetest.IsInvalid("name")},
			{"blank name", with(func(s *email.Settings) { s.Name = new("  ") }), servicetest.IsInvalid("name")},
			{"name with a line break", with(func(s *email.Settings) { s.Name = new("Support\r\nBcc: x@evil.example") }), servicetest.IsInvalid("name")},
			{"long name", with(func(s *email.Settings) { s.Name = new(strings.Repeat("n", 101)) }), servicetest.IsInvalid("name")},
			{"no address", with(func(s *email.Settings) { s.SupportAddress = nil }), servicetest.IsInvalid("support_address")},
			{"not an address", with(func(s *email.Settings) { s.SupportAddress = new("support") }), servicetest.IsInvalid("support_address")},
			{"display name", with(func(s *email.Settings) { s.SupportAddress = new("Shop <help@shop.example>") }), servicetest.IsInvalid("support_address")},
			{"address with CRLF", with(func(s *email.Settings) { s.SupportAddress = new("help@shop.example\r\nBcc: x@evil.example") }), servicetest.IsInvalid("support_address")},
			{"two addresses", with(func(s *email.Settings) { s.SupportAddress = new("a@shop.example, b@shop.example") }), servicetest.IsInvalid("support_address")},
			{"taken address, other case", with(func(s *email.Settings) { s.SupportAddress = new("HELP@shop-one.example") }), servicetest.Is(apperr.AlreadyExists)},
			{"no host", with(func(s *email.Settings) { s.SMTPHost = nil }), servicetest.IsInvalid("smtp_host")},
			{"bad host", with(func(s *email.Settings) { s.SMTPHost = new("smtp example.com") }), servicetest.IsInvalid("smtp_host")},
			{"host with a port", with(func(s *email.Settings) { s.SMTPHost = new("smtp.example.com:25") }), servicetest.IsInvalid("smtp_host")},
			{"no port", with(func(s *email.Settings) { s.SMTPPort = nil }), servicetest.IsInvalid("smtp_port")},
			{"port 0", with(func(s *email.Settings) { s.SMTPPort = new(0) }), servicetest.IsInvalid("smtp_port")},
			{"port 65536", with(func(s *email.Settings) { s.SMTPPort = new(65536) }), servicetest.IsInvalid("smtp_port")},
			{"no TLS mode", with(func(s *email.Settings) { s.SMTPTLSMode = nil }), servicetest.IsInvalid("smtp_tls_mode")},
			{"bad TLS mode", with(func(s *email.Settings) { s.SMTPTLSMode = new(email.TLSMode("ssl")) }), servicetest.IsInvalid("smtp_tls_mode")},
			{"username with LF", with(func(s *email.Settings) { s.SMTPUsername = new("me\nRCPT TO:<x@evil.example>") }), servicetest.IsInvalid("smtp_username")},
			{"password with CR", with(func(s *email.Settings) { s.SMTPPassword = new("pw\rQUIT") }), servicetest.IsInvalid("smtp_password")},
			{"long signature", with(func(s *email.Settings) { s.Signature = new(strings.Repeat("s", 4097)) }), servicetest.IsInvalid("signature")},
			{"signature not UTF-8", with(func(s *email.Settings) { s.Signature = new("\xff") }), servicetest.IsInvalid("signature")},
			{"foreign group", with(func(s *email.Settings) { s.GroupID = new(e.g2.ID) }), servicetest.IsInvalid("group_id")},
			{"missing group", with(func(s *email.Settings) { s.GroupID = new("00000000-0000-4000-8000-000000000000") }), servicetest.IsInvalid("group_id")},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.refused(t, tt.match, func() error {
					_, err := e.svc.Create(e.Ctx, e.o1, e.w1.ID, tt.in)
					return err
				})
			})
		}

		// Another workspace's inbox does not exist for W2, whatever it does.
		e.refused(t, servicetest.Is(apperr.NotFound), func() error {
			_, err := e.svc.Get(e.Ctx, e.w2.ID, in.ID)
			return err
		})
		e.refused(t, servicetest.Is(apperr.NotFound), func() error {
			_, err := e.svc.Update(e.Ctx, e.o2, e.w2.ID, in.ID, email.Settings{Name: new("Mine")})
			return err
		})
		e.refused(t, servicetest.Is(apperr.NotFound), func() error { return e.svc.Delete(e.Ctx, e.o2, e.w2.ID, in.ID) })
		// An update is checked like a create.
		e.refused(t, servicetest.IsInvalid("support_address"), func() error {
			_, err := e.svc.Update(e.Ctx, e.o1, e.w1.ID, in.ID, email.Settings{SupportAddress: new("x\n@shop.example")})
			return err
		})
		other, err := e.svc.Create(e.Ctx, e.o1, e.w1.ID, settings("other@shop-one.example"))
		if err != nil {
			t.Fatal(err)
		}
		e.refused(t, servicetest.Is(apperr.AlreadyExists), func() error {
			_, err := e.svc.Update(e.Ctx, e.o1, e.w1.ID, other.ID, email.Settings{SupportAddress: new("help@shop-one.example")})
			return err
		})
		// The same address is fine in another workspace.
		if _, err := e.svc.Create(e.Ctx, e.o2, e.w2.ID, settings("help@shop-one.example")); err != nil {
			t.Errorf("same address in W2: %v", err)
		}
	})
}

// TestInboxCap: concurrent creates never take a workspace past MaxInboxes.
func TestInboxCap(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		for i := range email.MaxInboxes - 3 {
			if _, err := e.svc.Create(e.Ctx, e.o1, e.w1.ID, settings(fmt.Sprintf("a%d@shop.example", i))); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = e.svc.Create(e.Ctx, e.o1, e.w1.ID, settings(fmt.Sprintf("b%d@shop.example", i)))
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !apperr.Is(err, apperr.ResourceExhausted):
				t.Errorf("unexpected error: %v", err)
			}
		}
		list, err := e.svc.List(e.Ctx, e.w1.ID)
		if err != nil || ok != 3 || len(list) != email.MaxInboxes {
			t.Errorf("%d of 8 concurrent creates succeeded, %d inboxes (%v); want 3, %d", ok, len(list), err, email.MaxInboxes)
		}
	})
}
