package email

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/time/rate"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// ReceiverOptions tune the SMTP receiver.
type ReceiverOptions struct {
	// Domain is the name the receiver greets with.
	Domain string
	// MaxBytes is the largest mail accepted; bigger ones are refused
	// (552) before or while they arrive. 0 means DefaultMaxBytes.
	MaxBytes int64
	// PerMinute and Burst limit the mails (SMTP sessions) one client IP
	// may send; a zero rate is no limit.
	PerMinute float64
	Burst     int
	// MaxRecipients caps RCPT TO per mail.
	MaxRecipients int
}

// Receiver is the built-in SMTP receiver: it takes mail for the inboxes'
// receiving addresses only (any other recipient is refused at RCPT, before
// the mail is sent), within a size limit and a per-IP rate limit, and hands
// each mail to Inbound.
type Receiver struct {
	in     *Inbound
	opts   ReceiverOptions
	logger *slog.Logger

	mu       sync.Mutex
	limiters map[string]*limiter
}

type limiter struct {
	*rate.Limiter
	seen time.Time
}

// DefaultMaxBytes is the largest mail taken unless configured otherwise.
const DefaultMaxBytes = 25 << 20

// NewReceiver returns the SMTP receiver; Run starts it.
func NewReceiver(in *Inbound, opts ReceiverOptions, logger *slog.Logger) *Receiver {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	return &Receiver{in: in, opts: opts, logger: logger, limiters: map[string]*limiter{}}
}

// Serve takes mail on l until ctx ends.
func (r *Receiver) Serve(ctx context.Context, l net.Listener) error {
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return r.newSession(ctx, c) }))
	s.Domain, s.MaxMessageBytes, s.MaxRecipients = r.opts.Domain, r.opts.MaxBytes, r.opts.MaxRecipients
	s.ReadTimeout, s.WriteTimeout = 2*time.Minute, 2*time.Minute
	s.ErrorLog = slogAdapter{r.logger}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	select {
	case err := <-done:
		return fmt.Errorf("smtp receiver: %w", err)
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(shut); err != nil {
			_ = s.Close()
		}
		// go-smtp registers the listener inside Serve: when ctx ended before
		// that, Shutdown had nothing to close and Serve would accept forever.
		_ = l.Close()
		// Serve ends with ErrServerClosed, or with the closed listener's
		// error when the shutdown came first; anything else is news.
		if err := <-done; err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			r.logger.WarnContext(ctx, "smtp receiver stopped", "error", err)
		}
		return nil
	}
}

var (
	errRateLimited = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0},
		Message: "too many mails from your address: try again later"}
	errNoSuchUser = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "no such mailbox here"}
	errMalformed = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
		Message: "the mail could not be read (no single From address, or broken MIME)"}
	errTemporary = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "the mail could not be stored now: try again later"}
)

func (r *Receiver) newSession(ctx context.Context, c *smtp.Conn) (smtp.Session, error) {
	ip := ""
	if host, _, err := net.SplitHostPort(c.Conn().RemoteAddr().String()); err == nil {
		ip = host
	}
	if !r.allow(ip) {
		r.logger.Info("smtp session refused: rate limit", "client_ip", ip)
		return nil, errRateLimited
	}
	return &session{r: r, ctx: ctx, ip: ip}, nil
}

// allow takes a token from the IP's limiter; limiters idle for an hour go.
func (r *Receiver) allow(ip string) bool {
	if r.opts.PerMinute <= 0 {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if len(r.limiters) > 10000 {
		for k, l := range r.limiters {
			if now.Sub(l.seen) > time.Hour {
				delete(r.limiters, k)
			}
		}
	}
	l, ok := r.limiters[ip]
	if !ok {
		l = &limiter{Limiter: rate.NewLimiter(rate.Limit(r.opts.PerMinute/60), max(r.opts.Burst, 1))}
		r.limiters[ip] = l
	}
	l.seen = now
	return l.Allow()
}

// recipient is one accepted RCPT TO.
type recipient struct {
	inbox Inbox
	token string
}

type session struct {
	r    *Receiver
	ctx  context.Context // the receiver's, for the session's calls
	ip   string
	from string
	to   []recipient
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

// Rcpt accepts only the inboxes' receiving addresses.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	i, token, err := s.r.in.Inbox(s.ctx, to)
	if apperr.Is(err, apperr.NotFound) {
		s.r.logger.Info("smtp recipient refused", "client_ip", s.ip, "reason", "unknown recipient")
		return errNoSuchUser
	}
	if err != nil {
		s.r.logger.Error("smtp recipient lookup", "err", err)
		return errTemporary
	}
	s.to = append(s.to, recipient{inbox: i, token: token})
	return nil
}

// Data reads the mail (go-smtp stops it at the size limit with 552) and
// delivers it to each recipient's inbox.
func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	for _, rc := range s.to {
		_, err := s.r.in.Deliver(s.ctx, rc.inbox, rc.token, s.from, raw)
		switch {
		case errors.Is(err, ErrMalformed):
			return errMalformed
		case err != nil:
			s.r.logger.Error("mail delivery", "email_inbox_id", rc.inbox.ID, "err", err)
			return errTemporary
		}
	}
	return nil
}

// slogAdapter passes go-smtp's connection errors to the logger.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Printf(format string, v ...any) {
	a.l.Warn("smtp receiver", "detail", fmt.Sprintf(format, v...))
}
func (a slogAdapter) Println(v ...any) { a.l.Warn("smtp receiver", "detail", fmt.Sprint(v...)) }
