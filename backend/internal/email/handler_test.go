package email_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/email"
	"github.com/tandem-inbox/tandem/backend/internal/handlertest"
	"github.com/tandem-inbox/tandem/backend/internal/servicetest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestHandler runs the generated client against the handler behind the
// validation interceptor, on SQLite (the service tests cover both
// databases; the server's authorization matrix covers who may call).
func TestHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.New(t, "sqlite"))
	who := &handlertest.Caller{P: e.o1, Scope: &access.Scope{WorkspaceID: e.w1.ID, Role: access.RoleAdmin}}
	url, hc := handlertest.Serve(t, who, func(opts ...connect.HandlerOption) (string, http.Handler) {
		return tandemv1connect.NewEmailServiceHandler(email.NewHandler(e.svc, "mail.tandem.example"), opts...)
	})
	client := tandemv1connect.NewEmailServiceClient(hc, url)
	ctx := context.Background()

	valid := func() *tandemv1.CreateEmailInboxRequest {
		return &tandemv1.CreateEmailInboxRequest{WorkspaceId: e.w1.ID, Name: "Support", SupportAddress: "help@shop.example",
			SmtpHost: "smtp.example.com", SmtpPort: 587, SmtpTlsMode: tandemv1.SmtpTlsMode_SMTP_TLS_MODE_STARTTLS,
			SmtpUsername: "help@shop.example", SmtpPassword: "s3cret", Signature: "The team", GroupId: e.g1.ID}
	}
	created, err := client.CreateEmailInbox(ctx, valid())
	if err != nil {
		t.Fatal(err)
	}
	in := created.GetEmailInbox()
	want := &tandemv1.EmailInbox{Id: in.GetId(), WorkspaceId: e.w1.ID, Name: "Support", SupportAddress: "help@shop.example",
		ReceivingAddress: in.GetReceivingAddress(), SmtpHost: "smtp.example.com", SmtpPort: 587,
		SmtpTlsMode: tandemv1.SmtpTlsMode_SMTP_TLS_MODE_STARTTLS, SmtpUsername: "help@shop.example", SmtpPasswordSet: true,
		Signature: "The team", GroupId: e.g1.ID, CreateTimeMs: servicetest.T0.UnixMilli(), UpdateTimeMs: servicetest.T0.UnixMilli()}
	if diff := cmp.Diff(want, in, protocmp.Transform()); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(in.GetReceivingAddress(), "in-") || !strings.HasSuffix(in.GetReceivingAddress(), "@mail.tandem.example") {
		t.Errorf("receiving address %q", in.GetReceivingAddress())
	}
	// The password is write-only: no answer carries it, in any field.
	noSecret := func(m proto.Message) {
		t.Helper()
		if b, err := proto.Marshal(m); err != nil || strings.Contains(string(b), "s3cret") {
			t.Errorf("an answer carries the SMTP password (%v): %v", err, m)
		}
	}
	noSecret(created)
	got, err := client.GetEmailInbox(ctx, &tandemv1.GetEmailInboxRequest{EmailInboxId: in.GetId()})
	if err != nil || !proto.Equal(got.GetEmailInbox(), in) {
		t.Errorf("get: %v, %v", got, err)
	}
	noSecret(got)
	list, err := client.ListEmailInboxes(ctx, &tandemv1.ListEmailInboxesRequest{WorkspaceId: e.w1.ID})
	if err != nil || len(list.GetEmailInboxes()) != 1 {
		t.Errorf("list: %v, %v", list, err)
	}
	noSecret(list)

	// Only the fields given change; an empty password removes it, an empty
	// group sends mail to the queue.
	empty, mode := "", tandemv1.SmtpTlsMode_SMTP_TLS_MODE_NONE
	updated, err := client.UpdateEmailInbox(ctx, &tandemv1.UpdateEmailInboxRequest{EmailInboxId: in.GetId(),
		SmtpPassword: &empty, GroupId: &empty, SmtpTlsMode: &mode})
	u := updated.GetEmailInbox()
	if err != nil || u.GetSmtpPasswordSet() || u.GetGroupId() != "" || u.GetSmtpTlsMode() != mode || u.GetName() != "Support" ||
		u.GetReceivingAddress() != in.GetReceivingAddress() {
		t.Errorf("update: %v, %v", updated, err)
	}

	for _, tt := range []struct {
		name  string
		req   func(r *tandemv1.CreateEmailInboxRequest)
		field string
	}{
		{"empty name", func(r *tandemv1.CreateEmailInboxRequest) { r.Name = "" }, "name"},
		{"not an address", func(r *tandemv1.CreateEmailInboxRequest) { r.SupportAddress = "help" }, "support_address"},
		{"address with CRLF", func(r *tandemv1.CreateEmailInboxRequest) { r.SupportAddress = "help@shop.example\r\nBcc: x@y.example" }, "support_address"},
		{"host with a space", func(r *tandemv1.CreateEmailInboxRequest) { r.SmtpHost = "smtp example.com" }, "smtp_host"},
		{"port 0", func(r *tandemv1.CreateEmailInboxRequest) { r.SmtpPort = 0 }, "smtp_port"},
		{"port too big", func(r *tandemv1.CreateEmailInboxRequest) { r.SmtpPort = 70000 }, "smtp_port"},
		{"no TLS mode", func(r *tandemv1.CreateEmailInboxRequest) { r.SmtpTlsMode = 0 }, "smtp_tls_mode"},
		{"unknown TLS mode", func(r *tandemv1.CreateEmailInboxRequest) { r.SmtpTlsMode = 9 }, "smtp_tls_mode"},
		{"long password", func(r *tandemv1.CreateEmailInboxRequest) { r.SmtpPassword = strings.Repeat("p", 257) }, "smtp_password"},
		{"long signature", func(r *tandemv1.CreateEmailInboxRequest) { r.Signature = strings.Repeat("s", 4097) }, "signature"},
		{"group not a uuid", func(r *tandemv1.CreateEmailInboxRequest) { r.GroupId = "billing" }, "group_id"},
		{"workspace not a uuid", func(r *tandemv1.CreateEmailInboxRequest) { r.WorkspaceId = "w1" }, "workspace_id"},
	} {
		req := valid()
		req.SupportAddress = "other@shop.example"
		tt.req(req)
		_, err := client.CreateEmailInbox(ctx, req)
		if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: %v, want InvalidArgument naming %s", tt.name, err, tt.field)
		}
	}
	for _, tt := range []struct {
		name string
		call func() error
		want connect.Code
	}{
		{"taken address", func() error {
			_, err := client.CreateEmailInbox(ctx, valid())
			return err
		}, connect.CodeAlreadyExists},
		{"update with a bad address", func() error {
			bad := "x"
			_, err := client.UpdateEmailInbox(ctx, &tandemv1.UpdateEmailInboxRequest{EmailInboxId: in.GetId(), SupportAddress: &bad})
			return err
		}, connect.CodeInvalidArgument},
		{"update with an empty name", func() error {
			_, err := client.UpdateEmailInbox(ctx, &tandemv1.UpdateEmailInboxRequest{EmailInboxId: in.GetId(), Name: &empty})
			return err
		}, connect.CodeInvalidArgument},
		{"id not a uuid", func() error {
			_, err := client.DeleteEmailInbox(ctx, &tandemv1.DeleteEmailInboxRequest{EmailInboxId: "inbox"})
			return err
		}, connect.CodeInvalidArgument},
		{"missing inbox", func() error {
			_, err := client.GetEmailInbox(ctx, &tandemv1.GetEmailInboxRequest{EmailInboxId: e.g1.ID})
			return err
		}, connect.CodeNotFound},
		{"delete", func() error {
			_, err := client.DeleteEmailInbox(ctx, &tandemv1.DeleteEmailInboxRequest{EmailInboxId: in.GetId()})
			return err
		}, connect.Code(0)},
		{"deleted", func() error {
			_, err := client.GetEmailInbox(ctx, &tandemv1.GetEmailInboxRequest{EmailInboxId: in.GetId()})
			return err
		}, connect.CodeNotFound},
	} {
		got := connect.Code(0)
		if err := tt.call(); err != nil {
			got = connect.CodeOf(err)
		}
		if got != tt.want {
			t.Errorf("%s: code %v, want %v", tt.name, got, tt.want)
		}
	}
}
