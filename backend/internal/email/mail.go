package email

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html/charset"
)

// Mail is an inbound message as Tandem reads it: who sent it, the keys that
// thread it, the words to show and why it must not start a conversation.
type Mail struct {
	// MessageID, InReplyTo and References are message ids without their
	// angle brackets. MessageID is "" when the mail has none.
	MessageID  string
	InReplyTo  []string
	References []string
	// FromName is the sender's display name (one line, maybe empty);
	// FromAddress their address, lower-cased.
	FromName    string
	FromAddress string
	// To and Cc are the addresses the mail was written to, lower-cased, at
	// most maxListed of each.
	To, Cc []string
	// Subject is one line: decoded, control characters (CR and LF among
	// them) replaced by spaces, at most MaxSubject bytes.
	Subject string
	// Body is the text to show: the plain-text part (or the HTML part as
	// text), with the quoted history of earlier mails cut off.
	Body string
	// FullText is the whole text, quoted history included.
	FullText string
	// Attachments are the files the mail carries, inline images included.
	Attachments []Attachment
	// Automated says why the mail must never start a conversation nor be
	// answered ("" for mail a person wrote): an auto-reply, a bounce or
	// list mail.
	Automated Automated
}

// Attachment is one file of a mail.
type Attachment struct {
	FileName    string
	ContentType string
	Data        []byte
}

// Automated is why a mail is machine-made.
type Automated string

// Why a mail is machine-made.
const (
	// AutoSubmitted: Auto-Submitted other than "no" (RFC 3834), or the
	// vacation responders' X-Autoreply / X-Autorespond.
	AutoSubmitted Automated = "auto_submitted"
	// Precedence: Precedence bulk, junk or list.
	Precedence Automated = "precedence"
	// MailingList: List-Id or List-Unsubscribe (RFC 2919, 2369).
	MailingList Automated = "mailing_list"
	// Bounce: a delivery status notification (multipart/report, RFC 3464),
	// the null sender or MAILER-DAEMON / postmaster.
	Bounce Automated = "bounce"
)

// MaxSubject caps a subject, in bytes (RFC 5322's line limit).
const MaxSubject = 998

// ErrMalformed wraps why a mail could not be read at all.
var ErrMalformed = errors.New("malformed mail")

// Parse reads a raw mail. envelopeFrom is the SMTP MAIL FROM ("" for the
// null sender of bounces). A mail whose structure enmime cannot read, or
// without a usable From address, is refused with ErrMalformed; smaller
// defects (a bad charset, a broken part) leave what could be read.
func Parse(raw []byte, envelopeFrom string) (Mail, error) {
	// Tandem turns HTML into text itself (bluemonday), when a mail has no
	// text part.
	env, err := enmime.NewParser(enmime.DisableTextConversion(true)).ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		return Mail{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var m Mail
	var ok bool
	if m.FromName, m.FromAddress, ok = parseFrom(env.Root.Header.Get("From")); !ok {
		return Mail{}, fmt.Errorf("%w: no single sender address in From", ErrMalformed)
	}
	m.Subject = truncate(oneLine(env.GetHeader("Subject")), MaxSubject)
	m.To, m.Cc = addresses(env.Root.Header.Get("To")), addresses(env.Root.Header.Get("Cc"))
	m.MessageID = firstID(env.Root.Header.Get("Message-Id"))
	m.InReplyTo = ids(env.Root.Header.Get("In-Reply-To"))
	m.References = ids(env.Root.Header.Get("References"))
	m.Automated = automated(env, envelopeFrom, m.FromAddress)

	text := env.Text
	if strings.TrimSpace(text) == "" && env.HTML != "" {
		text = htmlToText(env.HTML)
	}
	text = strings.ToValidUTF8(strings.ReplaceAll(text, "\r\n", "\n"), "\uFFFD")
	m.FullText = strings.TrimSpace(text)
	m.Body = StripQuoted(m.FullText)
	for _, parts := range [][]*enmime.Part{env.Attachments, env.Inlines, env.OtherParts} {
		for _, p := range parts {
			if len(p.Content) == 0 {
				continue
			}
			m.Attachments = append(m.Attachments, Attachment{FileName: truncate(oneLine(p.FileName), 255),
				ContentType: p.ContentType, Data: p.Content})
		}
	}
	return m, nil
}

// wordDecoder decodes a header's encoded words in any charset the WHATWG
// Encoding Standard names (KOI8-R, Shift_JIS, Windows-1252, ...), not only
// the UTF-8 and Latin-1 net/mail knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.NewReaderLabel} //nolint:gochecknoglobals // stateless, read-only

// parseFrom reads a From header: one address and its display name. A name
// whose encoded words hide line breaks (which net/mail refuses) is decoded
// apart and made one line.
func parseFrom(v string) (name, address string, ok bool) {
	parser := mail.AddressParser{WordDecoder: wordDecoder}
	a, err := parser.Parse(v)
	if err != nil {
		open, end := strings.IndexByte(v, '<'), strings.LastIndexByte(v, '>')
		if open < 0 || end < open || strings.Count(v, "<") != 1 || strings.Count(v, ">") != 1 {
			return "", "", false
		}
		if a, err = parser.Parse(v[open : end+1]); err != nil {
			return "", "", false
		}
		if a.Name, err = wordDecoder.DecodeHeader(strings.Trim(strings.TrimSpace(v[:open]), `"`)); err != nil {
			a.Name = v[:open]
		}
	}
	address = strings.ToLower(a.Address)
	if address == "" || !strings.Contains(address, "@") || strings.IndexFunc(address, unicode.IsControl) >= 0 {
		return "", "", false
	}
	return oneLine(a.Name), address, true
}

// maxListed caps the addresses kept of a To or Cc header.
const maxListed = 50

// addresses reads an address list header (To, Cc) as bare lower-cased
// addresses, at most maxListed; one it cannot read yields none.
func addresses(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	parser := mail.AddressParser{WordDecoder: wordDecoder}
	list, err := parser.ParseList(v)
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range list {
		if addr := strings.ToLower(a.Address); addr != "" && strings.IndexFunc(addr, unicode.IsControl) < 0 && len(out) < maxListed {
			out = append(out, truncate(addr, MaxAddress))
		}
	}
	return out
}

// automated says why the mail is machine-made, "" when a person wrote it.
func automated(env *enmime.Envelope, envelopeFrom, from string) Automated {
	h := env.Root.Header
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return AutoSubmitted
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" {
		return AutoSubmitted
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list":
		return Precedence
	}
	if h.Get("List-Id") != "" || h.Get("List-Unsubscribe") != "" {
		return MailingList
	}
	local, _, _ := strings.Cut(from, "@")
	ct := strings.ToLower(env.Root.ContentType)
	if ct == "multipart/report" || envelopeFrom == "" || local == "mailer-daemon" || local == "postmaster" {
		return Bounce
	}
	return ""
}

// quoteStart matches the first line of quoted history or of a signature:
// an attribution ("On Mon, 1 Jan 2030, Ada <ada@example.com> wrote:"),
// Outlook's separators, a quoted line, the signature separator "-- "
// (RFC 3676; some clients drop its space) or a mobile client's "Sent from
// my ..." line.
var quoteStart = regexp.MustCompile(`(?m)^(On\s.{1,300}\swrote:\s*$|-{2,}\s*Original Message\s*-{2,}|_{10,}\s*$|>|-- ?$|Sent from my \S.{0,60}$)`) //nolint:gochecknoglobals // compiled once

// StripQuoted cuts the quoted history and the signature off a mail's text:
// everything from the first attribution line, separator, quoted line or
// signature on. A text that is all quote stays as it is.
func StripQuoted(text string) string {
	loc := quoteStart.FindStringIndex(text)
	if loc == nil {
		return text
	}
	if head := strings.TrimSpace(text[:loc[0]]); head != "" {
		return head
	}
	return text
}

// htmlToText keeps an HTML body's words: tags go (bluemonday's strict
// policy), block ends become line breaks, entities are decoded.
func htmlToText(html string) string {
	text := bluemonday.StrictPolicy().Sanitize(htmlBreaks.ReplaceAllString(html, "$0\n"))
	text = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`, "&nbsp;", " ").Replace(text)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
}

var (
	htmlBreaks = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6])\s*/?\s*>`) //nolint:gochecknoglobals // compiled once
	blankLines = regexp.MustCompile(`\n{3,}`)                                        //nolint:gochecknoglobals // compiled once
)

// oneLine makes a header value one line of valid UTF-8: every control
// character (CR and LF among them) becomes a space, runs of spaces one.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ids reads the message ids of a threading header ("<a@x> <b@y>"),
// without their brackets, at most 50 (the newest, for References).
func ids(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == '<' || r == '>' || unicode.IsSpace(r) || r == ',' }) {
		if strings.Contains(f, "@") && len(f) <= 250 {
			out = append(out, f)
		}
	}
	if len(out) > 50 {
		out = out[len(out)-50:]
	}
	return out
}

func firstID(v string) string {
	if all := ids(v); len(all) > 0 {
		return all[0]
	}
	return ""
}
