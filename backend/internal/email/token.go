package email

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strings"

	"github.com/google/uuid"
)

// replyTokenEncoding spells reply tokens in lower-case base32: mail systems
// may change the case of an address's local part, never its letters.
var replyTokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding) //nolint:gochecknoglobals // constant

// replyMACBytes is how much of the HMAC a reply token keeps: 64 bits, so
// that a forger needs 2^63 tries on average, and the receiving address with
// its token ("in-" + 20, "+", 39 characters) fits the 64-character local part.
const replyMACBytes = 8

// ReplyToken signs a conversation of an inbox for the Reply-To address of
// the mails sent from it: a reply to that address joins the conversation
// even when the customer's mail client dropped In-Reply-To and References.
// It binds the inbox, so a token from one inbox is worth nothing at another.
func ReplyToken(secret []byte, inboxID, conversationID string) string {
	id, err := uuid.Parse(conversationID)
	if err != nil {
		return ""
	}
	return replyTokenEncoding.EncodeToString(append(id[:], replyMAC(secret, inboxID, id)...))
}

// ConversationOfToken checks a reply token of the inbox and returns its
// conversation; ok is false for anything not signed with the secret.
func ConversationOfToken(secret []byte, inboxID, token string) (conversationID string, ok bool) {
	b, err := replyTokenEncoding.DecodeString(strings.ToLower(token))
	if err != nil || len(b) != len(uuid.UUID{})+replyMACBytes {
		return "", false
	}
	id := uuid.UUID(b[:len(uuid.UUID{})])
	if !hmac.Equal(b[len(uuid.UUID{}):], replyMAC(secret, inboxID, id)) {
		return "", false
	}
	return id.String(), true
}

// ReplyAddress is the Reply-To address of a conversation's mails:
// the inbox's receiving address with the token after a "+".
func ReplyAddress(i Inbox, domain, token string) string {
	return i.ReceivingToken + "+" + token + "@" + domain
}

// SplitRecipient reads a receiving address (its local part "in-…" or
// "in-…+token"), returning the inbox's receiving token and the reply token
// ("" when none). Case is ignored; ok is false for any other address.
func SplitRecipient(address string) (receiving, token string, ok bool) {
	local, _, found := strings.Cut(strings.ToLower(address), "@")
	if !found || !strings.HasPrefix(local, "in-") {
		return "", "", false
	}
	receiving, token, _ = strings.Cut(local, "+")
	return receiving, token, true
}

func replyMAC(secret []byte, inboxID string, conversationID uuid.UUID) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("tandem email reply token\x00" + inboxID + "\x00"))
	m.Write(conversationID[:])
	return m.Sum(nil)[:replyMACBytes]
}

// ratingScope stands for the inbox in the MAC of rating tokens: no inbox
// id looks like it, so a reply token never passes for a rating token.
const ratingScope = "csat"

// RatingToken signs a conversation for the links of its rating mail
// (RatingPage).
func RatingToken(secret []byte, conversationID string) string {
	return ReplyToken(secret, ratingScope, conversationID)
}

// ConversationOfRating checks a rating token and returns its conversation.
func ConversationOfRating(secret []byte, token string) (conversationID string, ok bool) {
	return ConversationOfToken(secret, ratingScope, token)
}
