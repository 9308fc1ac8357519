package email

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Groups says which workspace a group belongs to (workspace.Service).
type Groups interface {
	GroupWorkspace(ctx context.Context, id string) (string, error)
}

// Options tune the service.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service manages email inboxes.
type Service struct {
	db     *store.DB
	log    *events.Log
	groups Groups
	now    func() time.Time
}

// NewService returns the email inbox service.
func NewService(db *store.DB, log *events.Log, groups Groups, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{db: db, log: log, groups: groups, now: opts.Now}
}

// Create adds an inbox to the workspace. Name, support address and the
// SMTP host, port and TLS mode are required; the rest may be nil.
func (s *Service) Create(ctx context.Context, actor *access.Principal, workspaceID string, in Settings) (Inbox, error) {
	for _, f := range []struct {
		name    string
		missing bool
	}{{"name", in.Name == nil}, {"support_address", in.SupportAddress == nil}, {"smtp_host", in.SMTPHost == nil},
		{"smtp_port", in.SMTPPort == nil}, {"smtp_tls_mode", in.SMTPTLSMode == nil}} {
		if f.missing {
			return Inbox{}, apperr.Invalid(f.name, "is required")
		}
	}
	now := store.NowMillis(s.now())
	i := Inbox{ID: uuid.NewString(), WorkspaceID: workspaceID, ReceivingToken: newToken(), CreatedAt: now, UpdatedAt: now}
	if err := s.apply(ctx, &i, in); err != nil {
		return Inbox{}, err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		// The event goes first: appending locks the workspace's row, so
		// that concurrent creates count one after the other.
		seq, err := s.appendEvent(ctx, tx, actor, events.EmailInboxCreated, &i)
		if err != nil {
			return err
		}
		n, err := countInboxes(ctx, tx, workspaceID)
		if err != nil {
			return fmt.Errorf("count email inboxes: %w", err)
		}
		if n >= MaxInboxes {
			return ErrTooMany
		}
		if err := insertInbox(ctx, tx, &i); err != nil {
			if tx.Dialect.IsUniqueViolation(err) {
				return ErrAddressTaken
			}
			return fmt.Errorf("insert email inbox: %w", err)
		}
		// The workspace has email from here on: the outbound reactor (gated)
		// looks at its events after this one.
		return events.StartCursor(ctx, tx, ReactorName, workspaceID, seq)
	})
	if err != nil {
		return Inbox{}, err
	}
	return i, nil
}

// List returns the workspace's inboxes by support address (at most
// MaxInboxes).
func (s *Service) List(ctx context.Context, workspaceID string) ([]Inbox, error) {
	is, err := inboxesOf(ctx, s.db, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list email inboxes: %w", err)
	}
	states, err := imapStatesOf(ctx, s.db, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list email inboxes: %w", err)
	}
	for n := range is {
		is[n].IMAP = states[is[n].ID]
	}
	return is, nil
}

// Get returns an inbox of the workspace; another workspace's does not
// exist for the caller.
func (s *Service) Get(ctx context.Context, workspaceID, id string) (Inbox, error) {
	i, err := s.load(ctx, s.db, workspaceID, id, "")
	if err != nil {
		return Inbox{}, err
	}
	st, err := imapStateOf(ctx, s.db, id)
	if err != nil && !store.ErrNoRows(err) {
		return Inbox{}, fmt.Errorf("get email inbox: %w", err)
	}
	i.IMAP = IMAPStatus{CheckedAt: st.CheckedAt, Error: st.LastError}
	return i, nil
}

// Update changes the fields given. A change that changes nothing writes
// nothing and appends no event.
func (s *Service) Update(ctx context.Context, actor *access.Principal, workspaceID, id string, in Settings) (Inbox, error) {
	var i Inbox
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if i, err = s.load(ctx, tx, workspaceID, id, tx.Dialect.ForUpdate()); err != nil {
			return err
		}
		before := i
		if err := s.apply(ctx, &i, in); err != nil {
			return err
		}
		if i == before {
			return nil
		}
		i.UpdatedAt = store.NowMillis(s.now())
		if err := updateInbox(ctx, tx, &i); err != nil {
			if tx.Dialect.IsUniqueViolation(err) {
				return ErrAddressTaken
			}
			return fmt.Errorf("update email inbox: %w", err)
		}
		if i.mailbox() != before.mailbox() {
			// Another mailbox: what was taken from the last one says nothing
			// about it, and its watcher lets go when it sees the state gone.
			if err := forgetIMAPState(ctx, tx, i.ID); err != nil {
				return fmt.Errorf("update email inbox: %w", err)
			}
		}
		_, err = s.appendEvent(ctx, tx, actor, events.EmailInboxUpdated, &i)
		return err
	})
	if err != nil {
		return Inbox{}, err
	}
	return i, nil
}

// Delete removes an inbox: its receiving address refuses mail from then on.
func (s *Service) Delete(ctx context.Context, actor *access.Principal, workspaceID, id string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		i, err := s.load(ctx, tx, workspaceID, id, tx.Dialect.ForUpdate())
		if err != nil {
			return err
		}
		if err := deleteInbox(ctx, tx, id); err != nil {
			return fmt.Errorf("delete email inbox: %w", err)
		}
		if _, err := s.appendEvent(ctx, tx, actor, events.EmailInboxDeleted, &i); err != nil {
			return err
		}
		// Without an inbox no reply goes out: the outbound reactor stops
		// looking at the workspace's events.
		if n, err := countInboxes(ctx, tx, workspaceID); err != nil || n > 0 {
			return err
		}
		return events.StopCursor(ctx, tx, ReactorName, workspaceID)
	})
}

// WorkspaceOf resolves an inbox id to its workspace, for authorization.
func (s *Service) WorkspaceOf(ctx context.Context, id string) (string, error) {
	i, err := inboxByID(ctx, s.db, id, "")
	if store.ErrNoRows(err) {
		return "", apperr.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("resolve email inbox: %w", err)
	}
	return i.WorkspaceID, nil
}

func (s *Service) load(ctx context.Context, q store.Querier, workspaceID, id, lock string) (Inbox, error) {
	i, err := inboxByID(ctx, q, id, lock)
	if store.ErrNoRows(err) || (err == nil && i.WorkspaceID != workspaceID) {
		return Inbox{}, apperr.ErrNotFound
	}
	if err != nil {
		return Inbox{}, fmt.Errorf("get email inbox: %w", err)
	}
	return i, nil
}

// apply checks the fields given and sets them on i.
func (s *Service) apply(ctx context.Context, i *Inbox, in Settings) error {
	if in.Name != nil {
		name, err := cleanLine("name", *in.Name, MaxName)
		if err != nil {
			return err
		}
		if name == "" {
			return apperr.Invalid("name", "must not be blank")
		}
		i.Name = name
	}
	if in.SupportAddress != nil {
		a, err := cleanAddress(*in.SupportAddress)
		if err != nil {
			return err
		}
		i.SupportAddress = a
	}
	if in.SMTPHost != nil {
		h, err := cleanHost("smtp_host", *in.SMTPHost)
		if err != nil {
			return err
		}
		i.SMTPHost = h
	}
	if in.SMTPPort != nil {
		if *in.SMTPPort < 1 || *in.SMTPPort > 65535 {
			return apperr.Invalid("smtp_port", "must be from 1 to 65535")
		}
		i.SMTPPort = *in.SMTPPort
	}
	if in.SMTPTLSMode != nil {
		switch *in.SMTPTLSMode {
		case TLSStartTLS, TLSImplicit, TLSNone:
			i.SMTPTLSMode = *in.SMTPTLSMode
		default:
			return apperr.Invalid("smtp_tls_mode", "must be starttls, implicit or none")
		}
	}
	if in.SMTPUsername != nil {
		u, err := cleanLine("smtp_username", *in.SMTPUsername, MaxUsername)
		if err != nil {
			return err
		}
		i.SMTPUsername = u
	}
	if in.SMTPPassword != nil {
		// Kept as given (spaces may be part of it), but never a line break:
		// it is sent in an SMTP command.
		if _, err := cleanLine("smtp_password", *in.SMTPPassword, MaxPassword); err != nil {
			return err
		}
		i.SMTPPassword = *in.SMTPPassword
	}
	if in.Signature != nil {
		switch sig := *in.Signature; {
		case !utf8.ValidString(sig):
			return apperr.Invalid("signature", "must be UTF-8 text")
		case len(sig) > MaxSignature:
			return apperr.Invalid("signature", "must be at most 4096 bytes")
		default:
			i.Signature = sig
		}
	}
	if in.GroupID != nil {
		if *in.GroupID != "" {
			ws, err := s.groups.GroupWorkspace(ctx, *in.GroupID)
			if apperr.Is(err, apperr.NotFound) || (err == nil && ws != i.WorkspaceID) {
				return ErrNotGroup
			}
			if err != nil {
				return fmt.Errorf("find group: %w", err)
			}
		}
		i.GroupID = *in.GroupID
	}
	if in.AIAnswers != nil {
		i.AIAnswers = *in.AIAnswers
	}
	return s.applyIMAP(i, in)
}

// applyIMAP checks the IMAP fields given and sets them on i. With a host,
// a username is needed; the TLS mode is implicit TLS unless set.
func (s *Service) applyIMAP(i *Inbox, in Settings) error {
	if in.IMAPHost != nil {
		i.IMAPHost = ""
		if h := strings.TrimSpace(*in.IMAPHost); h != "" {
			var err error
			if i.IMAPHost, err = cleanHost("imap_host", h); err != nil {
				return err
			}
		}
	}
	if in.IMAPPort != nil {
		if *in.IMAPPort < 0 || *in.IMAPPort > 65535 {
			return apperr.Invalid("imap_port", "must be from 1 to 65535, or 0 for the usual port")
		}
		i.IMAPPort = *in.IMAPPort
	}
	if in.IMAPTLSMode != nil {
		switch *in.IMAPTLSMode {
		case TLSStartTLS, TLSImplicit, TLSNone:
			i.IMAPTLSMode = *in.IMAPTLSMode
		case "":
			i.IMAPTLSMode = TLSImplicit
		default:
			return apperr.Invalid("imap_tls_mode", "must be implicit, starttls or none")
		}
	}
	for _, f := range []struct {
		name  string
		from  *string
		to    *string
		limit int
	}{{"imap_username", in.IMAPUsername, &i.IMAPUsername, MaxUsername}, {"imap_mailbox", in.IMAPMailbox, &i.IMAPMailbox, MaxMailbox}} {
		if f.from != nil {
			v, err := cleanLine(f.name, *f.from, f.limit)
			if err != nil {
				return err
			}
			*f.to = v
		}
	}
	if in.IMAPPassword != nil {
		// Kept as given, but one line: it is sent in an IMAP command.
		if _, err := cleanLine("imap_password", *in.IMAPPassword, MaxPassword); err != nil {
			return err
		}
		i.IMAPPassword = *in.IMAPPassword
	}
	if i.IMAPHost == "" {
		return nil
	}
	if i.IMAPTLSMode == "" {
		i.IMAPTLSMode = TLSImplicit
	}
	if i.IMAPUsername == "" {
		return apperr.Invalid("imap_username", "is required with imap_host")
	}
	return nil
}

// cleanLine trims a one-line value and checks it is UTF-8 text of at most
// max characters without control characters: no CR or LF can reach a mail
// header or an SMTP command from it.
func cleanLine(field, v string, limit int) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case !utf8.ValidString(v):
		return "", apperr.Invalid(field, "must be UTF-8 text")
	case utf8.RuneCountInString(v) > limit:
		return "", apperr.Invalid(field, fmt.Sprintf("must be at most %d characters", limit))
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return "", apperr.Invalid(field, "must be one line without control characters")
	}
	return v, nil
}

// cleanAddress checks a bare address (no display name, no comments) and
// lower-cases it: mail systems treat addresses without regard to case, and
// the unique key compares bytes.
func cleanAddress(v string) (string, error) {
	v, err := cleanLine("support_address", v, MaxAddress)
	if err != nil {
		return "", err
	}
	a, perr := mail.ParseAddress(v)
	if perr != nil || a.Name != "" || a.Address != v || !strings.Contains(v, "@") || len(v) > MaxAddress {
		return "", apperr.Invalid("support_address", "must be an email address such as support@example.com")
	}
	return strings.ToLower(v), nil
}

// cleanHost checks a server's host: an IP address or a host name.
func cleanHost(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if net.ParseIP(v) != nil {
		return v, nil
	}
	ok := v != "" && len(v) <= MaxHost
	for _, label := range strings.Split(v, ".") {
		ok = ok && label != "" && len(label) <= 63 && !strings.HasPrefix(label, "-") && !strings.HasSuffix(label, "-")
		for _, c := range label {
			ok = ok && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')
		}
	}
	if !ok {
		return "", apperr.Invalid(field, "must be a host name or an IP address")
	}
	return strings.ToLower(v), nil
}

// newToken makes a receiving address's local part: "in-" and 20 base32
// characters (100 random bits), so that nobody guesses another inbox's.
func newToken() string {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "in-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))[:20]
}

// appendEvent records a change to i in tx. The SMTP settings stay out of
// the log: the password never appears there.
func (s *Service) appendEvent(ctx context.Context, tx *store.Tx, actor *access.Principal, typ events.Type, i *Inbox) (seq int64, err error) {
	payload, err := json.Marshal(map[string]any{"data": map[string]string{"email_inbox_id": i.ID, "name": i.Name,
		"support_address": i.SupportAddress}})
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", typ, err)
	}
	kind, id := actor.Actor()
	ev := &events.Event{WorkspaceID: i.WorkspaceID, Type: typ, ActorKind: kind, ActorID: id, Visibility: events.Agents, Payload: payload}
	if err := s.log.Append(ctx, tx, ev); err != nil {
		return 0, err
	}
	return ev.Seq, nil
}
