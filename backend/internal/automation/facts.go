package automation

import (
	"context"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

// facts is what conditions look at: the conversation as it is now, the
// triggering message's text, and (loaded when a condition asks) the
// customer's attributes, the tags' names and the AI agent's last confidence.
type facts struct {
	s       *Service
	conv    conversation.Conversation
	text    string
	hasText bool

	contact *contact.Contact
	tags    map[string]bool
	conf    *float64
	noConf  bool
}

func (s *Service) newFacts(conv conversation.Conversation, msg *conversation.Message) *facts {
	f := &facts{s: s, conv: conv}
	if msg != nil && msg.Kind == conversation.KindText {
		f.text, f.hasText = msg.Body, true
	}
	return f
}

// attribute looks a customer attribute up: the store's signed ones first,
// then (unless verifiedOnly) the browser's unverified ones and the
// conversation's pre-chat fields.
func (f *facts) attribute(ctx context.Context, key string, verifiedOnly bool) (string, bool, error) {
	if f.contact == nil {
		c, err := f.s.deps.Contacts.Get(ctx, f.conv.WorkspaceID, f.conv.ContactID)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return "", false, err
		}
		f.contact = &c
	}
	if v, ok := f.contact.Verified[key]; ok {
		return v, true, nil
	}
	if verifiedOnly {
		return "", false, nil
	}
	if v, ok := f.contact.Unverified[key]; ok {
		return v, true, nil
	}
	v, ok := f.conv.CustomFields[key]
	return v, ok, nil
}

// tagNames returns the conversation's tags' names, lowercased.
func (f *facts) tagNames(ctx context.Context) (map[string]bool, error) {
	if f.tags != nil {
		return f.tags, nil
	}
	f.tags = map[string]bool{}
	for _, id := range f.conv.TagIDs {
		t, err := f.s.deps.Tags.Get(ctx, id)
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		f.tags[strings.ToLower(t.Name)] = true
	}
	return f.tags, nil
}

// confidence is the confidence of the AI agent's last answer in the
// conversation; false when it has not answered.
func (f *facts) confidence(ctx context.Context) (float64, bool, error) {
	if f.conf != nil || f.noConf {
		return valueOr(f.conf), f.conf != nil, nil
	}
	msgs, _, err := f.s.deps.Conversations.History(ctx, f.conv.ID, 50, "", true)
	if err != nil {
		return 0, false, err
	}
	for _, m := range msgs { // newest first
		if m.Meta.Bot != nil {
			c := m.Meta.Bot.Confidence
			f.conf = &c
			return c, true, nil
		}
	}
	f.noConf = true
	return 0, false, nil
}

func valueOr(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
