package email_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/email"
)

func TestReplyToken(t *testing.T) {
	t.Parallel()
	secret, inbox, conv := []byte("0123456789abcdef0123456789abcdef"), uuid.NewString(), uuid.NewString()
	token := email.ReplyToken(secret, inbox, conv)
	if got, ok := email.ConversationOfToken(secret, inbox, token); !ok || got != conv {
		t.Fatalf("token %q reads as %q, %v", token, got, ok)
	}
	// Mail systems may change the case of the local part.
	if got, ok := email.ConversationOfToken(secret, inbox, strings.ToUpper(token)); !ok || got != conv {
		t.Errorf("upper-cased token: %q, %v", got, ok)
	}
	in := email.Inbox{ReceivingToken: "in-abcdefghijklmnopqrst"}
	addr := email.ReplyAddress(in, "mail.example.com", token)
	if local, _, _ := strings.Cut(addr, "@"); len(local) > 64 {
		t.Errorf("local part of %q is %d characters, over 64", addr, len(local))
	}
	if r, tok, ok := email.SplitRecipient(strings.ToUpper(addr)); !ok || r != in.ReceivingToken || tok != token {
		t.Errorf("split %q: %q, %q, %v", addr, r, tok, ok)
	}
	if r, tok, ok := email.SplitRecipient(in.ReceivingToken + "@mail.example.com"); !ok || r != in.ReceivingToken || tok != "" {
		t.Errorf("split without token: %q, %q, %v", r, tok, ok)
	}
	if _, _, ok := email.SplitRecipient("help@shop.example"); ok {
		t.Error("an address that is no receiving address split")
	}

	// Forgeries: another secret, another inbox, a changed letter, garbage.
	flipped := []byte(token)
	flipped[len(flipped)-1] ^= 1
	for name, tt := range map[string]struct {
		secret       []byte
		inbox, token string
	}{
		"other secret": {[]byte("another secret of 32 bytes......"), inbox, token},
		"other inbox":  {secret, uuid.NewString(), token},
		"changed":      {secret, inbox, string(flipped)},
		"short":        {secret, inbox, token[:20]},
		"garbage":      {secret, inbox, "not a token!"},
		"empty":        {secret, inbox, ""},
	} {
		if got, ok := email.ConversationOfToken(tt.secret, tt.inbox, tt.token); ok {
			t.Errorf("%s: accepted as %q", name, got)
		}
	}
}
