package metrics

// The inbox counters' read model of the event log: the few members of a
// conversation event's JSON payload (what the conversation package writes)
// that Domain counts, declared here so that metrics depends on the log's
// format rather than on the conversation package. The tests check it
// against payloads the conversation package writes.

// payload is a conversation event's payload, as far as the counters read it.
type payload struct {
	Conversation *conversationView `json:"conversation"`
	Message      *messageView      `json:"message"`
	Data         map[string]string `json:"data"`
}

// conversationView is the conversation an event carries.
type conversationView struct {
	State         string `json:"state"`
	Channel       string `json:"channel"`
	HandoffReason string `json:"handoff_reason"`
	CreatedAt     int64  `json:"created_at"`
	ClosedAt      int64  `json:"closed_at"`
}

// messageView is the message a message.created event carries.
type messageView struct {
	Kind       string `json:"kind"`
	AuthorKind string `json:"author_kind"`
	Meta       struct {
		Bot *botView `json:"bot"`
	} `json:"meta"`
}

// botView is what the AI agent based an answer on.
type botView struct {
	Method     string  `json:"method"`
	Confidence float64 `json:"confidence"`
}

// Values in the payload that decide what is counted.
const (
	// stateBot and stateClosed are conversation states, in the from and to
	// of conversation.state_changed.
	stateBot    = "bot"
	stateClosed = "closed"
	stateSpam   = "spam"
	// kindText is the kind of a message (not a note or an activity record).
	kindText = "text"
	// dataHandoff is the data key of a handoff's reason on an event that
	// takes a conversation from the AI agent without a conversation.handoff.
	dataHandoff = "handoff"
)

// Labels are the values of the inbox counters' bounded labels, which the
// counters start at zero so that dashboards show 0 rather than no data. The
// conversation package owns them; the server passes them in.
type Labels struct {
	Channels       []string // tandem_conversations_created_total{channel}
	HandoffReasons []string // tandem_handoffs_total{reason}
	Authors        []string // tandem_messages_total{author}
	SpamReasons    []string // tandem_spam_held_total{reason}
}
