// Package config reads tandemd's configuration once, from flags and TANDEM_*
// environment variables (flags win), and validates it with messages that say
// what to fix.
package config

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything tandemd is told at start.
type Config struct {
	Addr            string
	DataDir         string
	DatabaseURL     string
	TLSCert         string
	TLSKey          string
	CORSOrigins     []string
	BootstrapEmail  string
	BootstrapPass   string
	Demo            bool
	LogLevel        slog.Level
	LogFormat       string
	SessionTTL      time.Duration
	ShutdownTimeout time.Duration
	MaxRequestBytes int
	// MaxRequestBytesInFlight caps the request bytes held by all calls in
	// flight at once; a call that would go over is refused
	// ResourceExhausted. Zero turns the cap off.
	MaxRequestBytesInFlight int64
	RequestTimeout          time.Duration
	NATSURL                 string
	BlobURL                 string
	LLMURL                  string
	LLMModel                string
	LLMAPIKey               string
	LLMTimeout              time.Duration
	// LLMConcurrency caps the model calls running at once; a call that
	// finds them all busy waits, within its timeout, for one to end.
	LLMConcurrency int
	// AITokensPerDay and AITokensPerConversation bound the model tokens
	// the AI agent spends per workspace and UTC day and per conversation,
	// across the replicas; 0 is no cap.
	AITokensPerDay          int64
	AITokensPerConversation int64
	PollInterval            time.Duration
	Heartbeat               time.Duration
	EventRetention          time.Duration
	RoutingInterval         time.Duration
	// Reactors runs the server's reactions (AI agent, rules, notifications,
	// SLA clocks, metrics) on this replica.
	Reactors bool
	// ParseWorker parses each uploaded knowledge document in a process of
	// its own (tandemd parse-worker) rather than in the server's.
	ParseWorker bool
	// ReactorWorkers bounds the workspaces each reactor handles at once
	// (one workspace's events stay in order; a slow one holds only itself).
	ReactorWorkers int
	// ReactorSweep is how often each reactor looks, in one query, for
	// workspaces with events no wake-up announced.
	ReactorSweep time.Duration
	// ReactorLease is how long a replica holds its shards of the
	// workspaces without renewing them: the longest a dead replica's
	// workspaces wait for another to take them.
	ReactorLease time.Duration
	// MetricsWorkspaceLabel labels inbox metrics with workspace names.
	MetricsWorkspaceLabel bool
	// StreamSendTimeout cuts off a stream whose client stopped reading.
	StreamSendTimeout time.Duration
	// WidgetRate and WidgetBurst limit each widget visitor session (and the
	// sessions started from one client IP); a zero rate turns the limit off.
	WidgetRate  float64
	WidgetBurst int
	// WidgetWriteRate and WidgetWriteBurst limit, within those, the calls
	// of a session that store something agents see (messages, new
	// conversations, handoff requests...): a person writes far slower than
	// a widget reads. Off with WidgetRate or at a zero rate.
	WidgetWriteRate  float64
	WidgetWriteBurst int
	// SpamWindow is how long a widget limit's refusal marks its chat, its
	// address or (for new chats) its website as flooding: new chats from
	// them meanwhile are held as spam. 0 holds none.
	SpamWindow time.Duration
	// WebhookAllow opens these address ranges to webhooks, which otherwise
	// reach only public addresses.
	WebhookAllow []netip.Prefix
	// WebhookTimeout bounds one webhook call; WebhookRetryBase is the first
	// retry's delay, doubled for each next one.
	WebhookTimeout   time.Duration
	WebhookRetryBase time.Duration
	// PushAllow opens these address ranges to Web Push endpoints, which
	// otherwise reach only public addresses.
	PushAllow []netip.Prefix
	// WidgetSessionsPerMinute and WidgetSessionBurst limit the widget
	// sessions one client IP starts; a zero rate turns the limit off.
	WidgetSessionsPerMinute float64
	WidgetSessionBurst      int
	// WorkspaceSessionsPerMinute and WorkspaceSessionBurst limit the widget
	// sessions one workspace's widget starts, from all addresses together;
	// a zero rate turns the limit off.
	WorkspaceSessionsPerMinute float64
	WorkspaceSessionBurst      int
	// WidgetMaxOpenConversations caps a visitor's conversations that are
	// not closed; 0 means no cap.
	WidgetMaxOpenConversations int
	// UploadsPerMinute and UploadBurst limit each uploader's POST /files.
	UploadsPerMinute float64
	UploadBurst      int
	// Upload quotas in bytes (0: none): per visitor and per workspace per
	// day, per conversation in all.
	UploadQuotaVisitor      int64
	UploadQuotaConversation int64
	UploadQuotaWorkspace    int64
	// UploadPendingTTL is how long an upload no message carries is kept.
	UploadPendingTTL time.Duration
	// DiskReserve is the free space under which uploads are refused.
	DiskReserve int64
	// BodyTimeout is how long a request body may take to arrive, per MiB
	// of the largest body its route accepts (at least one MiB); streams
	// are exempt.
	BodyTimeout time.Duration
	// DemoReset deletes the embedded database and files before the demo
	// is seeded afresh (it implies Demo; embedded store only).
	DemoReset bool
	// DemoForce allows --demo, whose passwords are public, on an address
	// other than loopback.
	DemoForce bool
	// TrustedProxies may name the client with X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// PasswordHashConcurrency caps the argon2 hashes running at once; 0
	// means one per CPU.
	PasswordHashConcurrency int
	// MaxWorkspacesPerUser caps the workspaces one user may own.
	MaxWorkspacesPerUser int
	// MetricsAddr is the one listener /metrics is served on ("" for none):
	// never the API port, whose clients must not read business volumes.
	MetricsAddr string
	// MaxStreamsPerVisitor, MaxStreamsPerMember and MaxStreamsPerAddress
	// cap the streams open at once per widget visitor, per member (or API
	// key) and per client address, on each replica; 0 is no cap.
	MaxStreamsPerVisitor, MaxStreamsPerMember, MaxStreamsPerAddress int
	// IdentityMaxAge is the longest a store-signed widget identity may live
	// (exp - iat); IdentityClockSkew is how far the store's clock may run
	// ahead of or behind ours.
	IdentityMaxAge, IdentityClockSkew time.Duration
	// WidgetSecretGrace is how long a rotated widget secret stays valid.
	WidgetSecretGrace time.Duration
	// MailDomain is the domain of the email inboxes' receiving addresses.
	MailDomain string
	// SMTPAddr is the built-in SMTP receiver's listen address ("": off).
	SMTPAddr string
	// SMTPMaxBytes is the largest mail the receiver takes.
	SMTPMaxBytes int64
	// SMTPPerMinute and SMTPBurst limit the mails one client IP sends the
	// receiver; a zero rate is no limit.
	SMTPPerMinute float64
	SMTPBurst     int
	// IMAPPoll is the longest a watched IMAP mailbox goes unread;
	// IMAPLease is how long a replica's claim on a mailbox holds unrenewed
	// before another replica takes it over (renewed every third of it).
	IMAPPoll  time.Duration
	IMAPLease time.Duration
	// MailDNS is the DNS server (host:port) senders' DKIM keys are looked
	// up at ("": the system's resolver); MailTrustedServers the authserv-ids
	// whose Authentication-Results headers are believed.
	MailDNS            string
	MailTrustedServers []string
	// PublicURL is the address customers reach the server at, for links in
	// mails; empty: http:// and Addr.
	PublicURL string
	// MailUnseenAfter is how long a chat reply may go unseen in the widget
	// before it is emailed to a customer who left an address (0: never).
	MailUnseenAfter time.Duration
	// MailSecret signs the reply tokens of email conversations ("": replies
	// thread by their In-Reply-To and References only).
	MailSecret string
	// FilesAddr is the files origin's listen address (files.go); FilesURL
	// the address browsers reach it at ("": http(s):// and the address
	// the listener got).
	FilesAddr, FilesURL string
}

// setting is one configuration value: its flag, its env var, its default.
type setting struct {
	flag, env, def, usage string
}

// settings lists every configuration value.
func settings() []setting {
	return []setting{
		{"addr", "TANDEM_ADDR", "127.0.0.1:8080", "listen address (host:port)"},
		{"data-dir", "TANDEM_DATA_DIR", "./tandem-data", "directory of the embedded SQLite database and local files"},
		{"database-url", "TANDEM_DATABASE_URL", "", "MySQL/MariaDB database (mysql://user:pass@host:3306/db); empty for embedded SQLite"},
		{"tls-cert", "TANDEM_TLS_CERT", "", "TLS certificate file (serve HTTPS with HTTP/2)"},
		{"tls-key", "TANDEM_TLS_KEY", "", "TLS private key file"},
		{"cors-origins", "TANDEM_CORS_ORIGINS", "", "comma-separated browser origins allowed to call the API (e.g. https://shop.example)"},
		{"bootstrap-email", "TANDEM_BOOTSTRAP_EMAIL", "", "email of the owner account created on first start"},
		{"bootstrap-password", "TANDEM_BOOTSTRAP_PASSWORD", "", "password of that owner account (at least 10 characters, not a common or pattern password)"},
		{"demo", "TANDEM_DEMO", "false", "seed a demo workspace and print how to sign in (loopback addresses only, unless --demo-force)"},
		{"demo-reset", "TANDEM_DEMO_RESET", "false", "start the demo afresh: delete the embedded database and files in --data-dir, then seed the demo (implies --demo; not with --database-url)"},
		{"demo-force", "TANDEM_DEMO_FORCE", "false", "allow --demo on a non-loopback address although everyone knows its passwords"},
		{"log-level", "TANDEM_LOG_LEVEL", "info", "debug, info, warn or error"},
		{"log-format", "TANDEM_LOG_FORMAT", "text", "text or json"},
		{"session-ttl", "TANDEM_SESSION_TTL", "720h", "lifetime of a sign-in session"},
		{"shutdown-timeout", "TANDEM_SHUTDOWN_TIMEOUT", "15s", "how long in-flight calls may take to finish on shutdown"},
		{"max-request-bytes", "TANDEM_MAX_REQUEST_BYTES", "1048576", "largest request message accepted, in bytes"},
		{"max-request-bytes-in-flight", "TANDEM_MAX_REQUEST_BYTES_IN_FLIGHT", "67108864", "request bytes all calls in flight may hold at once (at least 16 MiB); a call over it is refused and retried by clients"},
		{"request-timeout", "TANDEM_REQUEST_TIMEOUT", "30s", "deadline of a unary call that sets none"},
		{"blob-url", "TANDEM_BLOB_URL", "", "bucket for uploaded files (s3://bucket?region=r&endpoint=https://host for any S3-compatible store); empty keeps them under the data directory"},
		{"llm-url", "TANDEM_LLM_URL", "", "OpenAI-compatible API base for the AI agent (http://127.0.0.1:11434/v1 for Ollama); empty answers with the best passage"},
		{"llm-model", "TANDEM_LLM_MODEL", "", "model name the AI agent asks (required with --llm-url)"},
		{"llm-api-key", "TANDEM_LLM_API_KEY", "", "bearer key for the LLM API, if it needs one"},
		{"llm-timeout", "TANDEM_LLM_TIMEOUT", "10s", "longest the AI agent waits for the model to answer one customer message (all its model calls together) before handing off"},
		{"llm-concurrency", "TANDEM_LLM_CONCURRENCY", "8", "model calls running at once on this replica; more wait (within --llm-timeout) for one to end"},
		{"ai-tokens-per-day", "TANDEM_AI_TOKENS_PER_DAY", "1000000", "model tokens each workspace's AI agent may spend per UTC day, shared by the replicas (warned at 80%; spent: it hands off without asking the model); 0 is no cap"},
		{"ai-tokens-per-conversation", "TANDEM_AI_TOKENS_PER_CONVERSATION", "50000", "model tokens the AI agent may spend in one conversation; 0 is no cap"},
		{"parse-worker", "TANDEM_PARSE_WORKER", "true", "parse each uploaded knowledge document in a process of its own (this binary, `parse-worker`): its memory and CPU time bounded, below the API in the CPU's queue (false: in this process)"},
		{"reactors", "TANDEM_REACTORS", "true", "run the AI agent, automation, notifications, SLA clocks and routing on this replica (false: serve the API only)"},
		{"reactor-workers", "TANDEM_REACTOR_WORKERS", "8", "workspaces each reactor handles at once on this replica (events of one workspace stay in order)"},
		{"reactor-sweep", "TANDEM_REACTOR_SWEEP", "5s", "how often each reactor looks, in one indexed query over the latest events, for events no wake-up announced (bounds their delay when NATS loses one)"},
		{"reactor-lease", "TANDEM_REACTOR_LEASE", "10s", "how long a replica holds its shards of the workspaces unrenewed: the longest a dead replica's workspaces wait"},
		{"metrics-workspace-label", "TANDEM_METRICS_WORKSPACE_LABEL", "false", "label inbox metrics with the workspace's name (only with few workspaces: every workspace adds series)"},
		{"nats-url", "TANDEM_NATS_URL", "", "NATS server carrying wake-ups between replicas (nats://127.0.0.1:4222); empty for one node"},
		{"poll-interval", "TANDEM_POLL_INTERVAL", "1s", "how often streams check the log when no wake-up came (bounds delay when NATS is down)"},
		{"heartbeat", "TANDEM_HEARTBEAT", "15s", "interval of stream heartbeats (and of credential re-checks on streams)"},
		{"event-retention", "TANDEM_EVENT_RETENTION", "168h", "how long the event log keeps events for resuming streams"},
		{"routing-interval", "TANDEM_ROUTING_INTERVAL", "1s", "how often automatic assignment looks at the queues"},
		{"stream-send-timeout", "TANDEM_STREAM_SEND_TIMEOUT", "10s", "a stream whose client reads nothing for this long is ended (resumably, with RECONNECT); 0 never"},
		{"widget-rate", "TANDEM_WIDGET_RATE", "20", "widget calls per second allowed to each visitor session, and new sessions per second to each client IP; 0 for no limit"},
		{"widget-burst", "TANDEM_WIDGET_BURST", "100", "widget calls a visitor session (or sessions a client IP) may make at once above the rate"},
		{"widget-write-rate", "TANDEM_WIDGET_WRITE_RATE", "1", "of those, calls per second that store what agents see (a message, a new conversation, a request for a human, a rating, an email transcript...) allowed to each visitor session; 0 for no further limit"},
		{"widget-write-burst", "TANDEM_WIDGET_WRITE_BURST", "30", "such calls a visitor session may make at once above that rate"},
		{"spam-window", "TANDEM_SPAM_WINDOW", "10m", "how long a chat, a client address or a website refused by the widget's limits counts as flooding: the chats it starts meanwhile (on a website, those of visitors first seen then and not signed) are held as spam until a person releases them; 0 holds none"},
		{"webhook-allow", "TANDEM_WEBHOOK_ALLOW", "", "comma-separated addresses or CIDR ranges webhooks may call besides public ones (e.g. 10.20.0.0/16); loopback, private and metadata addresses are refused otherwise"},
		{"webhook-timeout", "TANDEM_WEBHOOK_TIMEOUT", "10s", "longest one webhook call may take"},
		{"webhook-retry-base", "TANDEM_WEBHOOK_RETRY_BASE", "30s", "delay before a failed webhook's first retry, doubled for each next one (8 attempts in all)"},
		{"push-allow", "TANDEM_PUSH_ALLOW", "", "comma-separated addresses or CIDR ranges Web Push endpoints may be at besides public ones (a test push service); loopback, private and metadata addresses are refused otherwise"},
		{"widget-sessions-per-minute", "TANDEM_WIDGET_SESSIONS_PER_MINUTE", "10", "new widget sessions per minute allowed to each client IP; 0 for no limit"},
		{"widget-session-burst", "TANDEM_WIDGET_SESSION_BURST", "30", "widget sessions a client IP may start at once above that rate"},
		{"workspace-sessions-per-minute", "TANDEM_WORKSPACE_SESSIONS_PER_MINUTE", "600", "new widget sessions per minute allowed to each workspace, from all client IPs together; 0 for no limit"},
		{"workspace-session-burst", "TANDEM_WORKSPACE_SESSION_BURST", "1200", "widget sessions a workspace may start at once above that rate"},
		{"widget-max-open-conversations", "TANDEM_WIDGET_MAX_OPEN_CONVERSATIONS", "5", "conversations a widget visitor may have open (not closed) at once; 0 for no cap"},
		{"uploads-per-minute", "TANDEM_UPLOADS_PER_MINUTE", "20", "file uploads per minute allowed to each visitor, member or API key; 0 for no limit"},
		{"upload-burst", "TANDEM_UPLOAD_BURST", "10", "file uploads one may make at once above that rate"},
		{"upload-quota-visitor", "TANDEM_UPLOAD_QUOTA_VISITOR", "100MiB", "bytes of files one widget visitor may upload per 24 hours; 0 for no quota"},
		{"upload-quota-conversation", "TANDEM_UPLOAD_QUOTA_CONVERSATION", "200MiB", "bytes of files one conversation may hold; 0 for no quota"},
		{"upload-quota-workspace", "TANDEM_UPLOAD_QUOTA_WORKSPACE", "5GiB", "bytes of files one workspace may take in per 24 hours; 0 for no quota"},
		{"upload-pending-ttl", "TANDEM_UPLOAD_PENDING_TTL", "2h", "how long an uploaded file that no message carries is kept"},
		{"disk-reserve", "TANDEM_DISK_RESERVE", "1GiB", "free space on the files directory's disk under which uploads are refused (local files only); 0 for no check"},
		{"body-timeout", "TANDEM_BODY_TIMEOUT", "30s", "how long a request body may take to arrive, per MiB its route accepts (1 MiB calls 30s, 10 MiB uploads 5m); streams are exempt"},
		{"trusted-proxies", "TANDEM_TRUSTED_PROXIES", "", "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client (for rate limits and logs); empty trusts no header"},
		{"password-hash-concurrency", "TANDEM_PASSWORD_HASH_CONCURRENCY", "0", "password hashes (argon2id, 19 MiB each) run at once server-wide; 0 for one per CPU"},
		{"max-workspaces-per-user", "TANDEM_MAX_WORKSPACES_PER_USER", "20", "workspaces one user may own; creating another is refused"},
		{"max-streams-per-visitor", "TANDEM_MAX_STREAMS_PER_VISITOR", "5", "streams (widget Watch) one widget visitor may hold open at once; 0 for no cap"},
		{"max-streams-per-member", "TANDEM_MAX_STREAMS_PER_MEMBER", "20", "streams (Watch) one member or API key may hold open at once; 0 for no cap"},
		{"max-streams-per-address", "TANDEM_MAX_STREAMS_PER_ADDRESS", "200", "streams one client address may hold open at once, whoever opens them; 0 for no cap"},
		{"identity-max-age", "TANDEM_IDENTITY_MAX_AGE", "24h", "longest lifetime (exp - iat) of a store-signed widget identity; longer ones are refused"},
		{"identity-clock-skew", "TANDEM_IDENTITY_CLOCK_SKEW", "2m", "how far a store's clock may differ from the server's when checking a signed identity's iat and exp"},
		{"widget-secret-grace", "TANDEM_WIDGET_SECRET_GRACE", "24h", "how long a rotated widget secret still verifies identities (RotateWidgetSecret); 0 retires it at once"},
		{"smtp-addr", "TANDEM_SMTP_ADDR", "", "listen address of the built-in SMTP receiver that takes mail for the email inboxes (:25, or 127.0.0.1:2525 behind an MTA); empty for none"},
		{"smtp-max-bytes", "TANDEM_SMTP_MAX_BYTES", "25MiB", "largest mail the SMTP receiver takes; bigger ones are refused (552)"},
		{"smtp-per-minute", "TANDEM_SMTP_PER_MINUTE", "30", "mails per minute the SMTP receiver takes from one client IP; 0 for no limit"},
		{"smtp-burst", "TANDEM_SMTP_BURST", "10", "mails one client IP may send the SMTP receiver at once above that rate"},
		{"imap-poll", "TANDEM_IMAP_POLL", "1m", "longest an email inbox's IMAP mailbox goes unread: how often one on a server without IDLE is read, and how long an IDLE lasts"},
		{"imap-lease", "TANDEM_IMAP_LEASE", "2m", "how long a replica's claim on an IMAP mailbox holds without renewal; another replica takes the mailbox over after it"},
		{"mail-unseen-after", "TANDEM_MAIL_UNSEEN_AFTER", "5m", "how long a reply in a chat may go unseen in the widget before it is emailed to a customer who left an address (from the workspace's first email inbox), and how long after a close the customer is mailed links to rate the conversation; 0 for never"},
		{"mail-dns", "TANDEM_MAIL_DNS", "", "DNS server (host:port) to look up the DKIM keys of inbound mail's senders at; empty: the system's resolver"},
		{"mail-trusted-servers", "TANDEM_MAIL_TRUSTED_SERVERS", "", "comma-separated authserv-ids of receiving mail servers whose Authentication-Results headers are believed (mx.google.com for a Gmail mailbox read by IMAP); empty: only Tandem's own DKIM check counts"},
		{"public-url", "TANDEM_PUBLIC_URL", "", "the address customers reach tandemd at (https://support.shop.example), for the links in mails (rating links) and, when https, the contact in Web Push's VAPID signature; empty: http:// and --addr"},
		{"mail-secret", "TANDEM_MAIL_SECRET", "", "key (32 characters or more, the same on every replica) signing the reply tokens in email conversations' Reply-To addresses and the links of rating mails; empty: replies thread by their headers only, and no rating mails are sent"},
		{"mail-domain", "TANDEM_MAIL_DOMAIN", "localhost", "domain of the email inboxes' receiving addresses (in-…@DOMAIN): the host name mail for them is forwarded or routed (MX) to"},
		{"metrics-addr", "TANDEM_METRICS_ADDR", "127.0.0.1:9464", "listen address of Prometheus /metrics, apart from the API (keep it private); \"off\" for none"},
		{"files-addr", "TANDEM_FILES_ADDR", "", "listen address of the files origin, where browsers download uploaded files by signed link, apart from the API and its cookies; empty: --addr's host and the port after its port (8081 for 8080; port 0 stays 0)"},
		{"files-url", "TANDEM_FILES_URL", "", "the address browsers reach the files origin at (https://files.support.shop.example): another origin than the API's and the web app's; empty: http:// (https:// with --tls-cert) and --files-addr"},
	}
}

// Load parses args (without the program name) over the environment; ctx
// bounds the lookup of the listen address's host name.
func Load(ctx context.Context, args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	fs := flag.NewFlagSet("tandemd", flag.ContinueOnError)
	fs.SetOutput(usage)
	values := map[string]*string{}
	for _, s := range settings() {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		values[s.flag] = fs.String(s.flag, def, fmt.Sprintf("%s (env %s)", s.usage, s.env))
	}
	fs.Usage = func() {
		// Like the flag package's own output (PrintDefaults), usage has
		// nowhere to report a failed write.
		_, _ = fmt.Fprintln(usage, "Usage: tandemd [flags]\n       tandemd user create --email EMAIL [flags]   (an account for scripted installs; see its --help)\n\nTandem's server: Connect, gRPC and gRPC-web on one port.\n\nFlags:")
		fs.PrintDefaults()
	}
	// --demo, --demo-reset and --demo-force are boolean flags: accept them bare.
	for i, a := range args {
		switch a {
		case "--demo", "-demo":
			args[i] = "--demo=true"
		case "--demo-reset", "-demo-reset":
			args[i] = "--demo-reset=true"
		case "--demo-force", "-demo-force":
			args[i] = "--demo-force=true"
		}
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	get := func(name string) string { return strings.TrimSpace(*values[name]) }

	c := Config{
		Addr: get("addr"), DataDir: get("data-dir"), DatabaseURL: get("database-url"), BlobURL: get("blob-url"),
		LLMURL: get("llm-url"), LLMModel: get("llm-model"), LLMAPIKey: get("llm-api-key"),
		TLSCert: get("tls-cert"), TLSKey: get("tls-key"),
		BootstrapEmail: get("bootstrap-email"), BootstrapPass: *values["bootstrap-password"],
		LogFormat: get("log-format"), MailDomain: strings.ToLower(get("mail-domain")),
	}
	var errs []error
	bad := func(name, format string, a ...any) {
		env := ""
		for _, s := range settings() {
			if s.flag == name {
				env = s.env
			}
		}
		errs = append(errs, fmt.Errorf("--%s (%s): %s", name, env, fmt.Sprintf(format, a...)))
	}
	if host, err := listenHost(c.Addr); err != nil {
		bad("addr", "%v", err)
	} else if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
			bad("addr", "host %q does not resolve", host)
		}
	}
	if c.LLMURL != "" && !strings.HasPrefix(c.LLMURL, "http://") && !strings.HasPrefix(c.LLMURL, "https://") {
		bad("llm-url", "%q is not an http(s) URL", c.LLMURL)
	}
	if (c.LLMURL == "") != (c.LLMModel == "") {
		bad("llm-model", "--llm-url and --llm-model go together")
	}
	if c.DataDir == "" && (c.DatabaseURL == "" || c.BlobURL == "") {
		bad("data-dir", "is required unless both a database URL and a blob URL are given")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "mysql://") && !strings.Contains(c.DatabaseURL, "@tcp(") && !strings.Contains(c.DatabaseURL, "@unix(") {
		bad("database-url", "must be mysql://user:pass@host:3306/db or a go-sql-driver DSN like user:pass@tcp(host:3306)/db")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls-cert", "--tls-cert and --tls-key go together")
	}
	for _, f := range []string{c.TLSCert, c.TLSKey} {
		if f != "" {
			if _, err := os.Stat(f); err != nil {
				bad("tls-cert", "%v", err)
			}
		}
	}
	for _, o := range strings.Split(get("cors-origins"), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if o != "*" && !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			bad("cors-origins", "%q is not an origin like https://shop.example", o)
		}
		c.CORSOrigins = append(c.CORSOrigins, strings.TrimRight(o, "/"))
	}
	if c.BootstrapEmail != "" {
		if _, err := mail.ParseAddress(c.BootstrapEmail); err != nil {
			bad("bootstrap-email", "%q is not an email address", c.BootstrapEmail)
		}
		if len(c.BootstrapPass) < 10 {
			bad("bootstrap-password", "must be at least 10 characters when --bootstrap-email is set")
		}
	}
	var err error
	if c.MetricsWorkspaceLabel, err = strconv.ParseBool(get("metrics-workspace-label")); err != nil {
		bad("metrics-workspace-label", "%q is not true or false", get("metrics-workspace-label"))
	}
	if c.ParseWorker, err = strconv.ParseBool(get("parse-worker")); err != nil {
		bad("parse-worker", "%q is not true or false", get("parse-worker"))
	}
	if c.Reactors, err = strconv.ParseBool(get("reactors")); err != nil {
		bad("reactors", "%q is not true or false", get("reactors"))
	}
	if c.Demo, err = strconv.ParseBool(get("demo")); err != nil {
		bad("demo", "%q is not true or false", get("demo"))
	}
	if c.DemoReset, err = strconv.ParseBool(get("demo-reset")); err != nil {
		bad("demo-reset", "%q is not true or false", get("demo-reset"))
	}
	if c.DemoReset {
		c.Demo = true
		if c.DatabaseURL != "" {
			bad("demo-reset", "resets only the embedded database in --data-dir; with --database-url, drop and recreate that database yourself")
		}
	}
	if c.DemoForce, err = strconv.ParseBool(get("demo-force")); err != nil {
		bad("demo-force", "%q is not true or false", get("demo-force"))
	}
	if c.Demo && !c.DemoForce && !loopback(c.Addr) {
		bad("demo", "the demo's passwords are public: serve it on a loopback address (--addr 127.0.0.1:8080), or add --demo-force to expose it on %q anyway", c.Addr)
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("log-level"))); err != nil {
		bad("log-level", "%q is not debug, info, warn or error", get("log-level"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format", "%q is not text or json", c.LogFormat)
	}
	duration := func(name string, least time.Duration) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d < least {
			bad(name, "%q is not a duration of at least %s (like 30s, 5m, 24h)", get(name), least)
		}
		return d
	}
	c.SessionTTL = duration("session-ttl", time.Minute)
	c.ShutdownTimeout = duration("shutdown-timeout", 0)
	c.RequestTimeout = duration("request-timeout", time.Second)
	c.LLMTimeout = duration("llm-timeout", time.Second)
	c.PollInterval = duration("poll-interval", 10*time.Millisecond)
	c.Heartbeat = duration("heartbeat", 100*time.Millisecond)
	c.EventRetention = duration("event-retention", time.Minute)
	c.RoutingInterval = duration("routing-interval", 10*time.Millisecond)
	c.ReactorSweep = duration("reactor-sweep", 100*time.Millisecond)
	c.ReactorLease = duration("reactor-lease", 100*time.Millisecond)
	c.StreamSendTimeout = duration("stream-send-timeout", 0)
	c.SpamWindow = duration("spam-window", 0)
	if c.WidgetRate, err = strconv.ParseFloat(get("widget-rate"), 64); err != nil || c.WidgetRate < 0 {
		bad("widget-rate", "%q is not a number of calls per second of at least 0", get("widget-rate"))
	}
	if c.WidgetBurst, err = strconv.Atoi(get("widget-burst")); err != nil || c.WidgetBurst < 1 {
		bad("widget-burst", "%q is not a whole number of at least 1", get("widget-burst"))
	}
	if c.WidgetWriteRate, err = strconv.ParseFloat(get("widget-write-rate"), 64); err != nil || c.WidgetWriteRate < 0 {
		bad("widget-write-rate", "%q is not a number of calls per second of at least 0", get("widget-write-rate"))
	}
	if c.WidgetWriteBurst, err = strconv.Atoi(get("widget-write-burst")); err != nil || c.WidgetWriteBurst < 1 {
		bad("widget-write-burst", "%q is not a whole number of at least 1", get("widget-write-burst"))
	}
	if c.NATSURL = get("nats-url"); c.NATSURL != "" && !strings.HasPrefix(c.NATSURL, "nats://") && !strings.HasPrefix(c.NATSURL, "tls://") {
		bad("nats-url", "is not a nats:// or tls:// URL") // not echoed: it may hold a password
	}
	if c.MaxRequestBytes, err = strconv.Atoi(get("max-request-bytes")); err != nil || c.MaxRequestBytes < 1024 {
		bad("max-request-bytes", "%q is not a number of bytes of at least 1024", get("max-request-bytes"))
	}
	// At least one document upload (10 MiB) and then some must fit.
	if c.MaxRequestBytesInFlight, err = strconv.ParseInt(get("max-request-bytes-in-flight"), 10, 64); err != nil || c.MaxRequestBytesInFlight < 16<<20 {
		bad("max-request-bytes-in-flight", "%q is not a number of bytes of at least 16777216 (16 MiB)", get("max-request-bytes-in-flight"))
	}
	if c.WebhookAllow, err = parsePrefixes(get("webhook-allow")); err != nil {
		bad("webhook-allow", "%v", err)
	}
	c.WebhookTimeout = duration("webhook-timeout", time.Second)
	if c.PushAllow, err = parsePrefixes(get("push-allow")); err != nil {
		bad("push-allow", "%v", err)
	}
	c.WebhookRetryBase = duration("webhook-retry-base", time.Millisecond)
	number := func(name string) float64 {
		f, err := strconv.ParseFloat(get(name), 64)
		if err != nil || f < 0 {
			bad(name, "%q is not a number of at least 0", get(name))
		}
		return f
	}
	whole := func(name string, least int) int {
		n, err := strconv.Atoi(get(name))
		if err != nil || n < least {
			bad(name, "%q is not a whole number of at least %d", get(name), least)
		}
		return n
	}
	count := func(name string) int64 {
		n, err := strconv.ParseInt(get(name), 10, 64)
		if err != nil || n < 0 {
			bad(name, "%q is not a whole number of at least 0", get(name))
		}
		return n
	}
	size := func(name string) int64 {
		n, err := parseBytes(get(name))
		if err != nil {
			bad(name, "%q is not a size in bytes (like 1048576, 100MiB or 5GiB)", get(name))
		}
		return n
	}
	c.WidgetSessionsPerMinute = number("widget-sessions-per-minute")
	c.WidgetSessionBurst = whole("widget-session-burst", 1)
	c.WorkspaceSessionsPerMinute = number("workspace-sessions-per-minute")
	c.WorkspaceSessionBurst = whole("workspace-session-burst", 1)
	c.WidgetMaxOpenConversations = whole("widget-max-open-conversations", 0)
	c.UploadsPerMinute = number("uploads-per-minute")
	c.UploadBurst = whole("upload-burst", 1)
	c.UploadQuotaVisitor = size("upload-quota-visitor")
	c.UploadQuotaConversation = size("upload-quota-conversation")
	c.UploadQuotaWorkspace = size("upload-quota-workspace")
	c.UploadPendingTTL = duration("upload-pending-ttl", time.Minute)
	c.DiskReserve = size("disk-reserve")
	c.BodyTimeout = duration("body-timeout", time.Second)
	if c.TrustedProxies, err = parsePrefixes(get("trusted-proxies")); err != nil {
		bad("trusted-proxies", "%v", err)
	}
	c.PasswordHashConcurrency = whole("password-hash-concurrency", 0)
	c.ReactorWorkers = whole("reactor-workers", 1)
	c.LLMConcurrency = whole("llm-concurrency", 1)
	c.AITokensPerDay = count("ai-tokens-per-day")
	c.AITokensPerConversation = count("ai-tokens-per-conversation")
	c.MaxWorkspacesPerUser = whole("max-workspaces-per-user", 1)
	c.MaxStreamsPerVisitor = whole("max-streams-per-visitor", 0)
	c.MaxStreamsPerMember = whole("max-streams-per-member", 0)
	c.MaxStreamsPerAddress = whole("max-streams-per-address", 0)
	c.IdentityMaxAge = duration("identity-max-age", time.Minute)
	c.IdentityClockSkew = duration("identity-clock-skew", 0)
	c.WidgetSecretGrace = duration("widget-secret-grace", 0)
	c.SMTPAddr, c.MailSecret = get("smtp-addr"), *values["mail-secret"]
	if c.SMTPAddr != "" {
		if _, err := listenHost(c.SMTPAddr); err != nil {
			bad("smtp-addr", "%v", err)
		}
	}
	if c.MailSecret != "" && len(c.MailSecret) < 32 {
		bad("mail-secret", "is %d characters; use 32 or more", len(c.MailSecret))
	}
	c.SMTPMaxBytes = size("smtp-max-bytes")
	c.MailUnseenAfter = duration("mail-unseen-after", 0)
	if c.MailDNS = get("mail-dns"); c.MailDNS != "" {
		if _, _, err := net.SplitHostPort(c.MailDNS); err != nil {
			bad("mail-dns", "%q is not host:port", c.MailDNS)
		}
	}
	for _, id := range strings.Split(get("mail-trusted-servers"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			c.MailTrustedServers = append(c.MailTrustedServers, id)
		}
	}
	c.PublicURL = strings.TrimRight(get("public-url"), "/")
	if c.PublicURL == "" {
		host, port, _ := net.SplitHostPort(c.Addr)
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "localhost"
		}
		c.PublicURL = "http://" + net.JoinHostPort(host, port)
	} else if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		bad("public-url", "%q is not an address like https://support.shop.example", c.PublicURL)
	}
	c.IMAPPoll = duration("imap-poll", 100*time.Millisecond)
	c.IMAPLease = duration("imap-lease", time.Second)
	c.SMTPPerMinute = number("smtp-per-minute")
	c.SMTPBurst = whole("smtp-burst", 1)
	if d := c.MailDomain; d == "" || len(d) > 253 || strings.ContainsAny(d, "@ \t\r\n<>[]") {
		bad("mail-domain", "%q is not a host name", d)
	}
	if c.MetricsAddr = get("metrics-addr"); c.MetricsAddr == "off" {
		c.MetricsAddr = ""
	} else if _, err := listenHost(c.MetricsAddr); err != nil {
		bad("metrics-addr", "%v (or off)", err)
	} else if c.MetricsAddr == c.Addr {
		bad("metrics-addr", "must differ from --addr: metrics are never served on the API port")
	}
	c.filesOrigin(get("files-addr"), get("files-url"), bad)
	return c, errors.Join(errs...)
}

// Logger builds the process logger the configuration asks for.
func (c Config) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
