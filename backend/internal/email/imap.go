package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// PollerOptions tune the IMAP poller.
type PollerOptions struct {
	// Every is the longest a watched mailbox goes unread: how often one
	// whose server lacks IDLE is read, and how long an IDLE lasts before
	// the mailbox is read anyway (default 1 minute).
	Every time.Duration
	// Lease is how long a replica's claim on a mailbox holds without being
	// renewed; another replica takes the mailbox over after it (default 2
	// minutes). The watcher renews it every third of it.
	Lease time.Duration
	// Max is the most mailboxes one replica watches at once (default 500).
	Max int
	// MaxBytes is the largest mail taken; a larger one is skipped and
	// logged (default 25 MiB, the SMTP receiver's).
	MaxBytes int64
	// Since is how far back mail already in a mailbox when it is first
	// watched is taken (default 24 hours); older mail stays where it is.
	Since time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Poller fetches the mail of inboxes that connect an IMAP mailbox and
// hands it to Inbound, as the SMTP receiver does with what it is sent.
//
// One replica at a time watches a mailbox, under a lease in
// email_imap_state: it reads mail as it arrives (IDLE, or every Every on
// servers without it), taking each mail once by UID, in order, and noting
// the last UID taken after each. A replica that dies mid-mailbox leaves a
// lease that runs out, and the next one starts after the last UID noted: a
// mail taken but not yet noted is taken again and stored nothing twice
// (Inbound keys it by Message-ID). A new UIDVALIDITY (the mailbox was
// rebuilt) starts over the same way. Mail is read with BODY.PEEK and never
// moved, flagged or deleted: the team's mail client sees the mailbox as it
// was.
type Poller struct {
	db     *store.DB
	in     *Inbound
	opts   PollerOptions
	owner  string
	logger *slog.Logger

	mu       sync.Mutex
	watching map[string]bool
	wg       sync.WaitGroup
}

// NewPoller returns the IMAP poller of the inboxes in's service keeps.
func NewPoller(in *Inbound, opts PollerOptions, logger *slog.Logger) *Poller {
	if opts.Every <= 0 {
		opts.Every = time.Minute
	}
	if opts.Lease <= 0 {
		opts.Lease = 2 * time.Minute
	}
	if opts.Max <= 0 {
		opts.Max = 500
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 25 << 20
	}
	if opts.Since <= 0 {
		opts.Since = 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	owner := truncate(host, 40) + ":" + strconv.Itoa(os.Getpid()) + ":" + hex.EncodeToString(b[:])
	return &Poller{db: in.inboxes.db, in: in, opts: opts, owner: owner, logger: logger.With("owner", owner), watching: map[string]bool{}}
}

// Run watches mailboxes no other replica watches, looking for them every
// third of a lease, until ctx ends; then it lets go of its leases.
func (p *Poller) Run(ctx context.Context) error {
	t := time.NewTicker(p.opts.Lease / 3)
	defer t.Stop()
	defer p.wg.Wait()
	for {
		if err := p.claim(ctx); err != nil && ctx.Err() == nil {
			p.logger.Warn("imap: look for mailboxes", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// claim starts watching the mailboxes nobody watches, up to Max.
func (p *Poller) claim(ctx context.Context) error {
	p.mu.Lock()
	room := p.opts.Max - len(p.watching)
	p.mu.Unlock()
	if room <= 0 {
		return nil
	}
	now := p.opts.Now()
	ids, err := unwatchedIMAP(ctx, p.db, p.owner, store.NowMillis(now), room+len(p.watching))
	if err != nil {
		return err
	}
	for _, id := range ids {
		p.mu.Lock()
		busy := p.watching[id] || len(p.watching) >= p.opts.Max
		p.mu.Unlock()
		if busy {
			continue
		}
		ok, err := takeIMAPLease(ctx, p.db, id, p.owner, store.NowMillis(now), store.NowMillis(now.Add(p.opts.Lease)))
		if err != nil || !ok {
			continue // taken by another replica, or deleted, since the list
		}
		p.mu.Lock()
		p.watching[id] = true
		p.mu.Unlock()
		p.wg.Go(func() { p.watch(ctx, id) })
	}
	return nil
}

// errLostLease ends a watch: the mailbox is no longer this replica's.
var errLostLease = errors.New("the mailbox's lease is no longer ours")

// watch reads one mailbox while this replica holds its lease: a session
// at a time, a failed one retried with backoff (the error recorded for
// admins), until the inbox is gone, IMAP is turned off, the lease is lost
// or ctx ends.
func (p *Poller) watch(ctx context.Context, inboxID string) {
	log := p.logger.With("email_inbox_id", inboxID)
	defer func() {
		release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := releaseIMAPLease(release, p.db, inboxID, p.owner); err != nil {
			log.Warn("imap: let go of the mailbox", "err", err)
		}
		p.mu.Lock()
		delete(p.watching, inboxID)
		p.mu.Unlock()
	}()
	backoff := time.Second
	for ctx.Err() == nil {
		inbox, err := inboxByID(ctx, p.db, inboxID, "")
		if store.ErrNoRows(err) || (err == nil && inbox.IMAPHost == "") {
			return
		}
		if err == nil {
			err = p.session(ctx, inbox)
		}
		switch {
		case errors.Is(err, errLostLease) || ctx.Err() != nil:
			return
		case err == nil:
			backoff = time.Second // the settings changed: connect again now
			continue
		}
		log.Info("imap: reading the mailbox failed", "err", err, "retry_in", backoff)
		if rerr := setIMAPError(ctx, p.db, inboxID, p.owner, err.Error()); rerr != nil {
			log.Warn("imap: record the error", "err", rerr)
		}
		// Wait, keeping the lease, and try again.
		for wait := backoff; wait > 0 && ctx.Err() == nil; wait -= p.opts.Lease / 3 {
			ok, err := renewIMAPLease(ctx, p.db, inboxID, p.owner, store.NowMillis(p.opts.Now().Add(p.opts.Lease)), 0)
			if err == nil && !ok {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(min(wait, p.opts.Lease/3)):
			}
		}
		backoff = min(2*backoff, p.opts.Every)
	}
}

// session connects to the inbox's mailbox and reads it until ctx ends, the
// lease is lost, the inbox's settings change (nil: connect again) or the
// connection fails.
func (p *Poller) session(ctx context.Context, inbox Inbox) error {
	c, err := dialIMAP(ctx, inbox, p.opts.Lease/3+30*time.Second)
	if err != nil {
		return err
	}
	// go-imap does not take a context: ending ctx closes the connection,
	// which ends any command in flight.
	stop := context.AfterFunc(ctx, func() { _ = c.Terminate() })
	defer stop()
	defer func() { _ = c.Logout(); _ = c.Terminate() }()
	// Unsolicited updates (new mail while IDLE) are read here until the
	// connection ends: the client blocks while nobody takes them.
	updates, changed := make(chan client.Update, 16), make(chan struct{}, 1)
	c.Updates = updates
	go func() {
		for {
			select {
			case u := <-updates:
				if _, ok := u.(*client.MailboxUpdate); ok {
					select {
					case changed <- struct{}{}:
					default:
					}
				}
			case <-c.LoggedOut():
				return
			}
		}
	}()

	mailbox := inbox.IMAPMailbox
	if mailbox == "" {
		mailbox = "INBOX"
	}
	status, err := c.Select(mailbox, true)
	if err != nil {
		return fmt.Errorf("open mailbox %q: %w", mailbox, err)
	}
	st, err := imapStateOf(ctx, p.db, inbox.ID)
	if err != nil {
		if store.ErrNoRows(err) {
			return errLostLease // the settings changed and the state went with them
		}
		return fmt.Errorf("imap state: %w", err)
	}
	if st.UIDValidity != status.UidValidity {
		if st.LastUID, err = p.startUID(c, status); err != nil {
			return err
		}
		if st.UIDValidity != 0 {
			p.logger.Info("imap: the mailbox's UIDVALIDITY changed: reading it again", "email_inbox_id", inbox.ID)
		}
		st.UIDValidity = status.UidValidity
		if err := p.progress(ctx, inbox.ID, st); err != nil {
			return err
		}
	}
	idle, err := c.Support("IDLE")
	if err != nil {
		return err
	}
	for {
		if err := p.fetchNew(ctx, c, inbox, &st); err != nil {
			return err
		}
		// Wait for new mail until Every is up, stopping every third of a
		// lease to renew it and to see whether the settings changed.
		for next := p.opts.Now().Add(p.opts.Every); ; {
			ok, err := renewIMAPLease(ctx, p.db, inbox.ID, p.owner, store.NowMillis(p.opts.Now().Add(p.opts.Lease)),
				store.NowMillis(p.opts.Now()))
			if err != nil {
				return fmt.Errorf("imap state: %w", err)
			}
			if !ok {
				return errLostLease
			}
			now, err := inboxByID(ctx, p.db, inbox.ID, "")
			if err != nil || now.IMAPHost == "" || now.mailbox() != inbox.mailbox() || now.IMAPTLSMode != inbox.IMAPTLSMode ||
				now.IMAPPassword != inbox.IMAPPassword {
				return nil // gone or changed: the watch looks again
			}
			inbox = now // other settings (the group, AI answers) apply from the next mail
			left := next.Sub(p.opts.Now())
			if left <= 0 {
				break
			}
			woke, err := p.wait(ctx, c, idle, changed, min(left, p.opts.Lease/3))
			if err != nil {
				return err
			}
			if woke {
				break
			}
		}
	}
}

// startUID is where reading a mailbox seen for the first time (or with a
// new UIDVALIDITY) starts: after the mail older than Since.
func (p *Poller) startUID(c *client.Client, status *imap.MailboxStatus) (uint32, error) {
	uids, err := c.UidSearch(&imap.SearchCriteria{Since: p.opts.Now().Add(-p.opts.Since)})
	if err != nil {
		return 0, fmt.Errorf("search the mailbox: %w", err)
	}
	start := status.UidNext - 1
	if status.UidNext == 0 {
		// The server did not say; every UID the mailbox holds is known.
		all, err := c.UidSearch(&imap.SearchCriteria{})
		if err != nil {
			return 0, fmt.Errorf("search the mailbox: %w", err)
		}
		for _, u := range all {
			start = max(start, u)
		}
	}
	for _, u := range uids {
		start = min(start, u-1)
	}
	return start, nil
}

// fetchNew takes the mail after st.LastUID, oldest first, noting each UID
// once its mail is stored. A mail too big or unreadable is skipped; any
// other failure stops before its UID is noted, so that mail is taken again.
func (p *Poller) fetchNew(ctx context.Context, c *client.Client, inbox Inbox, st *imapState) error {
	from := new(imap.SeqSet)
	from.AddRange(st.LastUID+1, 0)
	sizes, listed := make(chan *imap.Message, 64), make(chan error, 1)
	go func() { listed <- c.UidFetch(from, []imap.FetchItem{imap.FetchUid, imap.FetchRFC822Size}, sizes) }()
	type item struct {
		uid  uint32
		size uint32
	}
	var todo []item
	for m := range sizes {
		// "n:*" names the last mail even when its UID is below n.
		if m.Uid > st.LastUID {
			todo = append(todo, item{m.Uid, m.Size})
		}
	}
	if err := <-listed; err != nil {
		return fmt.Errorf("list new mail: %w", err)
	}
	log := p.logger.With("email_inbox_id", inbox.ID)
	for _, it := range todo {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if int64(it.size) > p.opts.MaxBytes {
			p.in.received.WithLabelValues(OutcomeMalformed).Inc()
			log.Info("imap: mail skipped: too big", "uid", it.uid, "bytes", it.size, "limit", p.opts.MaxBytes)
		} else if err := p.take(ctx, c, inbox, it.uid); err != nil {
			return err
		}
		st.LastUID = it.uid
		if err := p.progress(ctx, inbox.ID, *st); err != nil {
			return err
		}
	}
	return nil
}

// take fetches one mail by UID and delivers it.
func (p *Poller) take(ctx context.Context, c *client.Client, inbox Inbox, uid uint32) error {
	set := new(imap.SeqSet)
	set.AddNum(uid)
	section := &imap.BodySectionName{Peek: true}
	msgs := make(chan *imap.Message, 1)
	var raw []byte
	fetched := make(chan error, 1)
	go func() { fetched <- c.UidFetch(set, []imap.FetchItem{section.FetchItem()}, msgs) }()
	var readErr error
	for m := range msgs {
		if body := m.GetBody(section); body != nil {
			raw, readErr = io.ReadAll(io.LimitReader(body, p.opts.MaxBytes+1))
		}
	}
	if err := <-fetched; err != nil {
		return fmt.Errorf("fetch mail %d: %w", uid, err)
	}
	if readErr != nil {
		return fmt.Errorf("fetch mail %d: %w", uid, readErr)
	}
	if raw == nil {
		return nil // expunged since it was listed
	}
	if int64(len(raw)) > p.opts.MaxBytes {
		p.in.received.WithLabelValues(OutcomeMalformed).Inc()
		p.logger.Info("imap: mail skipped: too big", "email_inbox_id", inbox.ID, "uid", uid, "limit", p.opts.MaxBytes)
		return nil
	}
	if _, err := p.in.Deliver(ctx, inbox, "", envelopeSender(raw), raw); err != nil && !errors.Is(err, ErrMalformed) {
		return fmt.Errorf("deliver mail %d: %w", uid, err)
	}
	return nil
}

// envelopeSender is a stored mail's SMTP MAIL FROM as the delivering
// server wrote it in Return-Path ("" for the null sender of bounces). A
// mail without one (put there by a mail client, not delivered) counts as
// sent by its From.
func envelopeSender(raw []byte) string {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "" // Parse says what is wrong with it
	}
	if rp, ok := m.Header["Return-Path"]; ok && len(rp) > 0 {
		return strings.Trim(strings.TrimSpace(rp[0]), "<>")
	}
	_, from, _ := parseFrom(m.Header.Get("From"))
	return from
}

// progress notes how far the mailbox was read, renewing the lease.
func (p *Poller) progress(ctx context.Context, inboxID string, st imapState) error {
	ok, err := setIMAPProgress(ctx, p.db, inboxID, p.owner, st.UIDValidity, st.LastUID, store.NowMillis(p.opts.Now().Add(p.opts.Lease)))
	if err != nil {
		return fmt.Errorf("imap state: %w", err)
	}
	if !ok {
		return errLostLease
	}
	return nil
}

// wait waits up to d for the server to say the mailbox changed, in IDLE
// where the server has it; woke says whether it did.
func (p *Poller) wait(ctx context.Context, c *client.Client, idle bool, changed <-chan struct{}, d time.Duration) (woke bool, err error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	if !idle {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-timer.C:
			return false, nil
		}
	}
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- c.Idle(stop, &client.IdleOptions{LogoutTimeout: -1}) }()
	select {
	case err := <-done:
		return false, fmt.Errorf("idle: %w", err)
	case <-changed:
		woke = true
	case <-timer.C:
	case <-ctx.Done():
	}
	close(stop)
	if err := <-done; err != nil {
		return false, fmt.Errorf("idle: %w", err)
	}
	return woke, ctx.Err()
}

// dialIMAP connects and signs in to the inbox's IMAP server; timeout
// bounds each command.
func dialIMAP(ctx context.Context, inbox Inbox, timeout time.Duration) (*client.Client, error) {
	port := inbox.IMAPPort
	if port == 0 {
		port = 143
		if inbox.IMAPTLSMode == TLSImplicit {
			port = 993
		}
	}
	addr := net.JoinHostPort(inbox.IMAPHost, strconv.Itoa(port))
	dialCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(dialCtx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	tlsConfig := &tls.Config{ServerName: inbox.IMAPHost, MinVersion: tls.VersionTLS12}
	if inbox.IMAPTLSMode == TLSImplicit {
		conn = tls.Client(conn, tlsConfig)
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second)) // the greeting
	c, err := client.New(conn)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	c.Timeout = timeout
	c.ErrorLog = quietLog{}
	fail := func(what string, err error) (*client.Client, error) {
		_ = c.Terminate()
		return nil, fmt.Errorf("%s at %s: %w", what, addr, err)
	}
	if inbox.IMAPTLSMode == TLSStartTLS {
		ok, err := c.SupportStartTLS()
		if err == nil && !ok {
			err = errors.New("the server does not offer STARTTLS")
		}
		if err == nil {
			err = c.StartTLS(tlsConfig)
		}
		if err != nil {
			return fail("start TLS", err)
		}
	}
	if err := c.Login(inbox.IMAPUsername, inbox.IMAPPassword); err != nil {
		return fail("sign in", err)
	}
	return c, nil
}

// quietLog drops what go-imap logs: a read error it reports there is also
// the error of the command it ends, which the poller records.
type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Println(...any)        {}
