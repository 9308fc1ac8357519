package email

import (
	"context"
	"strings"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
)

// Handler serves tandem.v1.EmailService.
type Handler struct {
	svc    *Service
	domain string
}

var _ tandemv1connect.EmailServiceHandler = (*Handler)(nil)

// NewHandler returns the EmailService handler; domain is the mail domain of
// the inboxes' receiving addresses ("" is localhost).
func NewHandler(svc *Service, domain string) *Handler {
	if domain == "" {
		domain = "localhost"
	}
	return &Handler{svc: svc, domain: domain}
}

// CreateEmailInbox implements EmailService.CreateEmailInbox.
func (h *Handler) CreateEmailInbox(ctx context.Context, req *tandemv1.CreateEmailInboxRequest) (*tandemv1.CreateEmailInboxResponse, error) {
	port, mode := int(req.GetSmtpPort()), tlsFromProto[req.GetSmtpTlsMode()]
	in := Settings{Name: ptr(req.GetName()), SupportAddress: ptr(req.GetSupportAddress()), SMTPHost: ptr(req.GetSmtpHost()),
		SMTPPort: &port, SMTPTLSMode: &mode, SMTPUsername: ptr(req.GetSmtpUsername()), SMTPPassword: ptr(req.GetSmtpPassword()),
		Signature: ptr(req.GetSignature()), GroupID: ptr(req.GetGroupId()), AIAnswers: ptr(req.GetAiAnswers()),
		IMAPHost: ptr(req.GetImapHost()), IMAPPort: ptr(int(req.GetImapPort())), IMAPTLSMode: ptr(imapTLSFromProto[req.GetImapTlsMode()]),
		IMAPUsername: ptr(req.GetImapUsername()), IMAPPassword: ptr(req.GetImapPassword()), IMAPMailbox: ptr(req.GetImapMailbox())}
	i, err := h.svc.Create(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, in)
	if err != nil {
		return nil, err
	}
	return &tandemv1.CreateEmailInboxResponse{EmailInbox: ToProto(i, h.domain)}, nil
}

// ListEmailInboxes implements EmailService.ListEmailInboxes.
func (h *Handler) ListEmailInboxes(ctx context.Context, _ *tandemv1.ListEmailInboxesRequest) (*tandemv1.ListEmailInboxesResponse, error) {
	is, err := h.svc.List(ctx, access.ScopeFrom(ctx).WorkspaceID)
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListEmailInboxesResponse{}
	for _, i := range is {
		resp.EmailInboxes = append(resp.EmailInboxes, ToProto(i, h.domain))
	}
	return resp, nil
}

// GetEmailInbox implements EmailService.GetEmailInbox.
func (h *Handler) GetEmailInbox(ctx context.Context, req *tandemv1.GetEmailInboxRequest) (*tandemv1.GetEmailInboxResponse, error) {
	i, err := h.svc.Get(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetEmailInboxId())
	if err != nil {
		return nil, err
	}
	return &tandemv1.GetEmailInboxResponse{EmailInbox: ToProto(i, h.domain)}, nil
}

// UpdateEmailInbox implements EmailService.UpdateEmailInbox.
func (h *Handler) UpdateEmailInbox(ctx context.Context, req *tandemv1.UpdateEmailInboxRequest) (*tandemv1.UpdateEmailInboxResponse, error) {
	in := Settings{Name: req.Name, SupportAddress: req.SupportAddress, SMTPHost: req.SmtpHost, SMTPUsername: req.SmtpUsername,
		SMTPPassword: req.SmtpPassword, Signature: req.Signature, GroupID: req.GroupId, AIAnswers: req.AiAnswers}
	if req.SmtpPort != nil {
		in.SMTPPort = ptr(int(req.GetSmtpPort()))
	}
	if req.SmtpTlsMode != nil {
		in.SMTPTLSMode = ptr(tlsFromProto[req.GetSmtpTlsMode()])
	}
	in.IMAPHost, in.IMAPUsername, in.IMAPPassword, in.IMAPMailbox = req.ImapHost, req.ImapUsername, req.ImapPassword, req.ImapMailbox
	if req.ImapPort != nil {
		in.IMAPPort = ptr(int(req.GetImapPort()))
	}
	if req.ImapTlsMode != nil {
		in.IMAPTLSMode = ptr(imapTLSFromProto[req.GetImapTlsMode()])
	}
	i, err := h.svc.Update(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetEmailInboxId(), in)
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateEmailInboxResponse{EmailInbox: ToProto(i, h.domain)}, nil
}

// DeleteEmailInbox implements EmailService.DeleteEmailInbox.
func (h *Handler) DeleteEmailInbox(ctx context.Context, req *tandemv1.DeleteEmailInboxRequest) (*tandemv1.DeleteEmailInboxResponse, error) {
	if err := h.svc.Delete(ctx, access.PrincipalFrom(ctx), access.ScopeFrom(ctx).WorkspaceID, req.GetEmailInboxId()); err != nil {
		return nil, err
	}
	return &tandemv1.DeleteEmailInboxResponse{}, nil
}

// ListEmailMessages implements EmailService.ListEmailMessages.
func (h *Handler) ListEmailMessages(ctx context.Context, req *tandemv1.ListEmailMessagesRequest) (*tandemv1.ListEmailMessagesResponse, error) {
	ms, ds, err := h.svc.messages(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	resp := &tandemv1.ListEmailMessagesResponse{}
	for _, m := range ms {
		resp.EmailMessages = append(resp.EmailMessages, &tandemv1.EmailMessage{MessageId: m.MessageID, FromAddress: m.FromAddress,
			FromName: m.FromName, To: strings.Fields(m.ToList), Cc: strings.Fields(m.CcList), Subject: m.Subject,
			SenderVerified: m.SenderVerified, SenderCheck: m.SenderCheck, OriginalText: m.OriginalText, CreateTimeMs: m.CreatedAt})
	}
	for _, d := range ds {
		resp.Deliveries = append(resp.Deliveries, &tandemv1.EmailDelivery{MessageId: d.ID, Status: d.Status, Attempts: int32(d.Attempts), //nolint:gosec // a few
			LastError: d.LastError, SentTimeMs: d.SentAt})
	}
	return resp, nil
}

// GetEmailThread implements EmailService.GetEmailThread.
func (h *Handler) GetEmailThread(ctx context.Context, req *tandemv1.GetEmailThreadRequest) (*tandemv1.GetEmailThreadResponse, error) {
	t, err := h.svc.Thread(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId())
	if err != nil {
		return nil, err
	}
	return &tandemv1.GetEmailThreadResponse{EmailThread: threadToProto(t)}, nil
}

// UpdateEmailThread implements EmailService.UpdateEmailThread.
func (h *Handler) UpdateEmailThread(ctx context.Context, req *tandemv1.UpdateEmailThreadRequest) (*tandemv1.UpdateEmailThreadResponse, error) {
	t, err := h.svc.SetReply(ctx, access.ScopeFrom(ctx).WorkspaceID, req.GetConversationId(), req.GetCc(), req.GetSubject())
	if err != nil {
		return nil, err
	}
	return &tandemv1.UpdateEmailThreadResponse{EmailThread: threadToProto(t)}, nil
}

func threadToProto(t Thread) *tandemv1.EmailThread {
	return &tandemv1.EmailThread{ConversationId: t.ConversationID, EmailInboxId: t.InboxID, CustomerAddress: t.CustomerAddress,
		Cc: t.Cc, Subject: t.Subject}
}

var tlsFromProto = map[tandemv1.SmtpTlsMode]TLSMode{ //nolint:gochecknoglobals // constant table
	tandemv1.SmtpTlsMode_SMTP_TLS_MODE_STARTTLS: TLSStartTLS, tandemv1.SmtpTlsMode_SMTP_TLS_MODE_IMPLICIT: TLSImplicit,
	tandemv1.SmtpTlsMode_SMTP_TLS_MODE_NONE: TLSNone,
}

var imapTLSFromProto = map[tandemv1.ImapTlsMode]TLSMode{ //nolint:gochecknoglobals // constant table
	tandemv1.ImapTlsMode_IMAP_TLS_MODE_UNSPECIFIED: "", tandemv1.ImapTlsMode_IMAP_TLS_MODE_IMPLICIT: TLSImplicit,
	tandemv1.ImapTlsMode_IMAP_TLS_MODE_STARTTLS: TLSStartTLS, tandemv1.ImapTlsMode_IMAP_TLS_MODE_NONE: TLSNone,
}

// ToProto converts an inbox for the API. The passwords stay out: the API
// says only whether one is set.
func ToProto(i Inbox, domain string) *tandemv1.EmailInbox {
	mode := tandemv1.SmtpTlsMode_SMTP_TLS_MODE_UNSPECIFIED
	for k, v := range tlsFromProto {
		if v == i.SMTPTLSMode {
			mode = k
		}
	}
	imapMode := tandemv1.ImapTlsMode_IMAP_TLS_MODE_UNSPECIFIED
	for k, v := range imapTLSFromProto {
		if v == i.IMAPTLSMode && i.IMAPHost != "" {
			imapMode = k
		}
	}
	return &tandemv1.EmailInbox{Id: i.ID, WorkspaceId: i.WorkspaceID, Name: i.Name, SupportAddress: i.SupportAddress,
		ReceivingAddress: i.ReceivingAddress(domain), SmtpHost: i.SMTPHost, SmtpPort: int32(i.SMTPPort), SmtpTlsMode: mode, //nolint:gosec // 1..65535
		SmtpUsername: i.SMTPUsername, SmtpPasswordSet: i.SMTPPassword != "", Signature: i.Signature, GroupId: i.GroupID,
		AiAnswers: i.AIAnswers, CreateTimeMs: i.CreatedAt, UpdateTimeMs: i.UpdatedAt,
		ImapHost: i.IMAPHost, ImapPort: int32(i.IMAPPort), ImapTlsMode: imapMode, ImapUsername: i.IMAPUsername, //nolint:gosec // 0..65535
		ImapPasswordSet: i.IMAPPassword != "", ImapMailbox: i.IMAPMailbox, ImapCheckedTimeMs: i.IMAP.CheckedAt, ImapError: i.IMAP.Error}
}

func ptr[T any](v T) *T { return &v }
