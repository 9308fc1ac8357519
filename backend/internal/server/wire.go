package server

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/automation"
	"github.com/tandem-inbox/tandem/backend/internal/bot"
	"github.com/tandem-inbox/tandem/backend/internal/canned"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/email"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/files"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/limit"
	"github.com/tandem-inbox/tandem/backend/internal/metrics"
	"github.com/tandem-inbox/tandem/backend/internal/notify"
	"github.com/tandem-inbox/tandem/backend/internal/outbound"
	"github.com/tandem-inbox/tandem/backend/internal/presence"
	"github.com/tandem-inbox/tandem/backend/internal/push"
	"github.com/tandem-inbox/tandem/backend/internal/routing"
	"github.com/tandem-inbox/tandem/backend/internal/sla"
	"github.com/tandem-inbox/tandem/backend/internal/stats"
	"github.com/tandem-inbox/tandem/backend/internal/tag"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// What a constructor is given, one convention for every service and handler
// built here:
//
//   - positionally, the store, the event spine (log, hub) and the logger;
//   - Deps, the collaborators: other services, or the interfaces and
//     functions of theirs it calls (bot.Deps, automation.Deps,
//     conversation.Deps, canned.Deps, notify.Deps). A package's handler
//     that needs more than its service has HandlerDeps when the package
//     has Deps already (conversation.HandlerDeps), Deps otherwise
//     (presence.Deps, widget.Deps);
//   - Options, the settings: limits, intervals, the clock (Now), a hasher,
//     an HTTP client (account.Options, conversation.Options,
//     automation.Options, ...); the zero Options means the defaults.
//
// A collaborator never goes in Options, nor a setting in Deps. An interface
// a collaborator satisfies keeps the name of what it is (conversation's
// Directory, bot's Retriever): it is a field of Deps, not a Deps. A
// constructor with few collaborators may still take them positionally
// (sla.NewService(db, log, convs, logger)); a growing list goes in Deps.

// streams is what the stream handlers (agents' and visitors') share.
type streams struct {
	follower *events.Follower
	cursors  *events.Cursors
}

// wire builds the event spine, the services and the reactors, each given
// what it depends on. Nothing runs yet.
func (s *Server) wire(ctx context.Context) (streams, error) {
	log, st, err := s.spine(ctx)
	if err != nil {
		return streams{}, err
	}
	if err := s.services(ctx, log); err != nil {
		return streams{}, err
	}
	s.reactors(log)
	return st, nil
}

// spine builds the event log, the hub that wakes its readers (through NATS
// across replicas) and what streams read it with.
func (s *Server) spine(ctx context.Context) (*events.Log, streams, error) {
	s.hub = events.NewHub(s.db, s.cfg.PollInterval)
	log := events.NewLog(s.db, s.hub, nil)
	cursors, err := events.LoadCursors(ctx, s.db)
	if err != nil {
		return nil, streams{}, err
	}
	if s.cfg.NATSURL != "" {
		if s.nats, err = events.ConnectNATS(s.cfg.NATSURL, s.hub, s.logger); err != nil {
			return nil, streams{}, err
		}
		metrics.RegisterNATS(s.registry, s.nats.Connected, s.nats.Disconnects)
	}
	s.pruner = events.NewPruner(s.db, s.cfg.EventRetention, nil)
	follower := events.NewFollower(log, s.hub, s.cfg.Heartbeat, s.drain, s.logger).WithSendTimeout(s.cfg.StreamSendTimeout)
	metrics.RegisterStreamGaps(s.registry, follower.Gaps)
	return log, streams{follower: follower, cursors: cursors}, nil
}

// services builds the domain services.
func (s *Server) services(ctx context.Context, log *events.Log) error {
	limits := limit.Options{Logger: s.logger}
	if s.db.Dialect.Shared() {
		limits.DB = s.db
	}
	s.limits = limit.New(limits)
	s.domain.Accounts = account.NewService(s.db, log, account.Options{SessionTTL: s.cfg.SessionTTL,
		Hasher: access.NewHasher(s.cfg.PasswordHashConcurrency, 0), Limits: s.limits})
	s.domain.Workspaces = workspace.NewService(s.db, log, s.domain.Accounts, workspace.Options{MaxOwnedWorkspaces: s.cfg.MaxWorkspacesPerUser,
		WidgetSecretGrace: s.cfg.WidgetSecretGrace})
	s.streamGuard = s.domain.Accounts.NewStreamGuard(s.domain.Workspaces.LiveMembers)
	s.domain.Contacts = contact.NewService(s.db, log, s.domain.Workspaces, contact.Options{IdentityMaxAge: s.cfg.IdentityMaxAge, ClockSkew: s.cfg.IdentityClockSkew})
	s.domain.Tags = tag.NewService(s.db, log, nil)
	s.domain.Presence = presence.NewService(s.db, log, s.domain.Workspaces.Role, nil)
	bucket, err := files.OpenBucket(ctx, s.cfg.BlobURL, s.cfg.DataDir)
	if err != nil {
		return err
	}
	s.domain.Files = files.NewService(s.db, bucket, s.logger).WithLimits(files.Limits{VisitorBytes: s.cfg.UploadQuotaVisitor,
		ConversationBytes: s.cfg.UploadQuotaConversation, WorkspaceBytes: s.cfg.UploadQuotaWorkspace,
		DiskReserve: s.cfg.DiskReserve, Dir: files.LocalDir(s.cfg.BlobURL, s.cfg.DataDir)})
	if err := s.bindFiles(ctx); err != nil { // filesorigin.go
		return err
	}
	s.domain.Conversations = conversation.NewService(s.db, log, s.hub, conversation.Deps{Accounts: s.domain.Accounts, Contacts: s.domain.Contacts,
		Directory: directory{s.domain.Workspaces, s.domain.Tags, s.domain.Presence}, Attacher: s.domain.Files, BotEnabled: bot.NewSwitch(s.db).Enabled},
		conversation.Options{MaxOpenPerVisitor: s.cfg.WidgetMaxOpenConversations})
	s.domain.Routing = routing.NewService(s.db, log, s.domain.Conversations, s.domain.Presence, s.domain.Workspaces.GroupRouting, nil, s.logger)
	s.domain.Canned = canned.NewService(s.db, log, canned.Deps{Conversations: s.domain.Conversations, Contacts: s.domain.Contacts,
		Users: s.domain.Accounts, Workspaces: s.domain.Workspaces}, canned.Options{})
	var worker *knowledge.Worker
	if s.cfg.ParseWorker {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("the parse worker is this program: %w", err)
		}
		worker = &knowledge.Worker{Command: []string{exe, "parse-worker"}}
	}
	s.domain.Knowledge = knowledge.NewService(s.db, log, knowledge.Options{Worker: worker})
	s.domain.Email = email.NewService(s.db, log, s.domain.Workspaces, email.Options{})
	// Mail comes in through the SMTP receiver, where one listens, and from
	// IMAP mailboxes, read by the replicas that run the reactors.
	in := email.NewInbound(s.domain.Email, s.domain.Conversations, s.domain.Contacts, s.domain.Files, []byte(s.cfg.MailSecret), s.logger,
		s.registry).WithVerifier(email.Verifier{LookupTXT: email.Resolver(s.cfg.MailDNS), TrustedServers: s.cfg.MailTrustedServers})
	if s.cfg.Reactors {
		s.imap = email.NewPoller(in, email.PollerOptions{Every: s.cfg.IMAPPoll, Lease: s.cfg.IMAPLease, MaxBytes: s.cfg.SMTPMaxBytes}, s.logger)
	}
	if s.cfg.SMTPAddr != "" {
		// Bound now, so that an address in use stops tandemd at start
		// rather than leave it up without its mail.
		ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.SMTPAddr)
		if err != nil {
			return fmt.Errorf("listen on %s for mail (TANDEM_SMTP_ADDR): %w", s.cfg.SMTPAddr, err)
		}
		s.smtpListener = ln
		s.smtp = email.NewReceiver(in, email.ReceiverOptions{Domain: s.cfg.MailDomain,
			MaxBytes: s.cfg.SMTPMaxBytes, PerMinute: s.cfg.SMTPPerMinute, Burst: s.cfg.SMTPBurst, MaxRecipients: 50}, s.logger)
	}
	// Replies go out from every replica that runs the reactors, whether or
	// not it receives mail: the reactor's shards are divided among them all.
	s.mailSender = email.NewSender(s.db, s.domain.Email, s.domain.Conversations, s.domain.Contacts, email.SenderOptions{Domain: s.cfg.MailDomain,
		Secret: []byte(s.cfg.MailSecret), UnseenAfter: s.cfg.MailUnseenAfter, PublicURL: s.cfg.PublicURL}, s.logger)
	var llm *bot.LLM
	if s.cfg.LLMURL != "" {
		llm = bot.NewLLM(s.cfg.LLMURL, s.cfg.LLMModel, s.cfg.LLMAPIKey, s.cfg.LLMTimeout, s.cfg.LLMConcurrency)
	}
	s.domain.Bot = bot.NewService(s.db, log, bot.Deps{Conversations: s.domain.Conversations, Knowledge: s.domain.Knowledge, Tags: s.domain.Tags,
		OnlineAgents: s.domain.Presence.OnlineCount, LLM: llm, Metrics: metrics.NewAI(s.registry)},
		bot.Options{Budget: bot.Budget{PerDay: s.cfg.AITokensPerDay, PerConversation: s.cfg.AITokensPerConversation}}, s.logger)
	people := members{s.domain.Workspaces}
	s.domain.Notify = notify.NewService(s.db, log, notify.Deps{GroupMembers: s.domain.Workspaces.GroupMembers,
		Members: people.ids, Supervisors: people.supervisors}, s.logger)
	if s.domain.Push, err = push.NewService(ctx, s.db, push.Options{Allow: s.cfg.PushAllow, PublicURL: s.cfg.PublicURL}, s.logger); err != nil {
		return err
	}
	s.domain.Automation = automation.NewService(s.db, log, s.hub, automation.Deps{Conversations: s.domain.Conversations, Contacts: s.domain.Contacts,
		Tags: s.domain.Tags, Canned: s.domain.Canned, Directory: s.domain.Workspaces, HandOff: s.domain.Bot.HandOff}, automation.Options{Webhooks: automation.Webhooks{
		Client:  outbound.NewClient(outbound.Options{Allow: s.cfg.WebhookAllow, Timeout: s.cfg.WebhookTimeout}),
		Timeout: s.cfg.WebhookTimeout, RetryBase: s.cfg.WebhookRetryBase,
		// The save-time check of webhook URLs applies the allowlist too.
		Allow: s.cfg.WebhookAllow,
	}}, s.logger)
	s.domain.SLA = sla.NewService(s.db, log, s.domain.Conversations, s.logger)
	s.domain.Stats = stats.NewService(s.db, s.domain.Presence.OnlineCount, people.names)
	return nil
}

// reactors builds the server's reactions to the log, and the shards their
// replicas divide the workspaces in.
func (s *Server) reactors(log *events.Log) {
	s.notifyReactor = events.NewReactor(notify.ReactorName, log, s.hub, s.domain.Notify.React, s.logger)
	// Ungated: every workspace has members to notify. Its own reactor, so
	// a slow push service never delays the notifications themselves.
	s.pushReactor = events.NewReactor(push.ReactorName, log, s.hub, s.domain.Push.React, s.logger)
	// Ungated: first responses are recorded (for response-time statistics)
	// even where no policy runs a clock.
	s.slaReactor = events.NewReactor(sla.ReactorName, log, s.hub, s.domain.SLA.React, s.logger)
	var workspaceName func(ctx context.Context, id string) (string, error)
	if s.cfg.MetricsWorkspaceLabel {
		workspaceName = func(ctx context.Context, id string) (string, error) {
			w, err := s.domain.Workspaces.Get(ctx, id)
			return w.Name, err
		}
	}
	s.metricsReactor = events.NewReactor(metrics.ReactorName, log, s.hub,
		metrics.NewDomain(s.registry, metricsLabels(), workspaceName).React, s.logger)
	// Rules get their say before the AI agent answers a customer message: a
	// rule that hands "refund" off wins over the AI agent answering it.
	s.botReactor = events.NewReactor(bot.ReactorName, log, s.hub, func(ctx context.Context, ev events.Event) error {
		if err := s.domain.Automation.Settle(ctx, ev); err != nil {
			return err
		}
		return s.domain.Bot.React(ctx, ev)
	}, s.logger).Gated() // where the AI agent is off it has no cursor: no lag
	// Gated: only workspaces with an email inbox have its cursor.
	s.mailReactor = events.NewReactor(email.ReactorName, log, s.hub, s.mailSender.React, s.logger).Gated()
	s.shards = events.NewShards(s.db, reactorShards, s.logger, events.ShardOptions{Lease: s.cfg.ReactorLease})
}

// members answers what other services ask of a workspace's members, from
// the workspace service.
type members struct{ ws *workspace.Service }

// ids lists the members' user ids (notifications to everyone).
func (m members) ids(ctx context.Context, workspaceID string) ([]string, error) {
	ms, err := m.ws.AllMembers(ctx, workspaceID)
	ids := make([]string, len(ms))
	for i, mb := range ms {
		ids[i] = mb.UserID
	}
	return ids, err
}

// supervisors lists the user ids of the supervisors and above.
func (m members) supervisors(ctx context.Context, workspaceID string) ([]string, error) {
	ms, err := m.ws.AllMembers(ctx, workspaceID)
	var ids []string
	for _, mb := range ms {
		if mb.Role.AtLeast(access.RoleSupervisor) {
			ids = append(ids, mb.UserID)
		}
	}
	return ids, err
}

// names maps the members' user ids to their display names (statistics).
func (m members) names(ctx context.Context, workspaceID string) (map[string]string, error) {
	ms, err := m.ws.AllMembers(ctx, workspaceID)
	names := make(map[string]string, len(ms))
	for _, mb := range ms {
		names[mb.UserID] = mb.DisplayName
	}
	return names, err
}

// presence lists the members as the presence service shows them.
func (m members) presence(ctx context.Context, workspaceID string) ([]presence.Member, error) {
	ms, err := m.ws.AllMembers(ctx, workspaceID)
	out := make([]presence.Member, len(ms))
	for i, mb := range ms {
		out[i] = presence.Member{UserID: mb.UserID, DisplayName: mb.DisplayName}
	}
	return out, err
}

// metricsLabels are the values of the inbox counters' labels, which the
// conversation package owns.
func metricsLabels() metrics.Labels {
	var reasons []string
	for _, r := range conversation.HandoffReasons() {
		reasons = append(reasons, string(r))
	}
	return metrics.Labels{
		Channels:       []string{conversation.ChannelWeb, conversation.ChannelAPI, conversation.ChannelEmail},
		HandoffReasons: reasons,
		Authors:        []string{conversation.AuthorCustomer, conversation.AuthorAgent, conversation.AuthorBot, conversation.AuthorSystem},
		SpamReasons:    conversation.SpamReasons(),
	}
}
