package email_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tandem-inbox/tandem/backend/internal/email"
)

// msg builds a raw mail from header lines and a body, with CRLF line ends.
func msg(headers []string, body string) []byte {
	return []byte(strings.Join(headers, "\r\n") + "\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n"))
}

func TestParsePlain(t *testing.T) {
	t.Parallel()
	raw := msg([]string{
		"From: =?UTF-8?Q?Ad=C3=A1_Lovelace?= <Ada@Example.COM>",
		"To: help@shop.example",
		"Subject: =?UTF-8?Q?Where_is_my_parcel=3F?=",
		"Message-ID: <abc.123@mail.example.com>",
		"In-Reply-To: <t1@tandem.example>",
		"References: <t0@tandem.example>\r\n <t1@tandem.example>",
		"Content-Type: text/plain; charset=utf-8",
	}, "It has not arrived.\n\nAda\n\nOn Mon, 1 Jan 2030 at 10:00, Shop <help@shop.example> wrote:\n> We shipped it.\n")
	m, err := email.Parse(raw, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if m.FromName != "Adá Lovelace" || m.FromAddress != "ada@example.com" || m.Subject != "Where is my parcel?" ||
		m.MessageID != "abc.123@mail.example.com" || !slices.Equal(m.InReplyTo, []string{"t1@tandem.example"}) ||
		!slices.Equal(m.References, []string{"t0@tandem.example", "t1@tandem.example"}) || m.Automated != "" {
		t.Errorf("parsed %+v", m)
	}
	if m.Body != "It has not arrived.\n\nAda" {
		t.Errorf("body %q: the quoted history stays", m.Body)
	}
	if !strings.Contains(m.FullText, "We shipped it.") {
		t.Errorf("full text %q lost the quote", m.FullText)
	}
}

func TestParseHTMLAndAttachments(t *testing.T) {
	t.Parallel()
	raw := msg([]string{
		"From: Grace <grace@example.com>",
		"Subject: Photo",
		"Message-ID: <p1@example.com>",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="b1"`,
	}, `--b1
Content-Type: text/html; charset=utf-8

<p>Hello <b>team</b> &amp; friends</p><script>alert(1)</script><p>See the photo.</p>
--b1
Content-Type: image/png
Content-Disposition: attachment; filename="broken.png"
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--b1--
`)
	m, err := email.Parse(raw, "grace@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Body, "<") || strings.Contains(m.Body, "alert") || !strings.Contains(m.Body, "Hello team & friends") ||
		!strings.Contains(m.Body, "See the photo.") {
		t.Errorf("HTML as text: %q", m.Body)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].FileName != "broken.png" || m.Attachments[0].ContentType != "image/png" ||
		len(m.Attachments[0].Data) != 8 {
		t.Errorf("attachments %+v", m.Attachments)
	}
}

// TestParseHeaderInjection: no CR or LF from a header reaches what Tandem
// keeps; folded and encoded line breaks become spaces.
func TestParseHeaderInjection(t *testing.T) {
	t.Parallel()
	raw := msg([]string{
		"From: =?UTF-8?Q?Eve=0D=0ABcc:_x@evil.example?= <eve@example.com>",
		"Subject: =?UTF-8?Q?Hi=0D=0ABcc:_victim@example.com?=",
		"Message-ID: <e1@example.com>",
	}, "hello")
	m, err := email.Parse(raw, "eve@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{m.Subject, m.FromName, m.FromAddress} {
		if strings.ContainsAny(v, "\r\n") {
			t.Errorf("a line break survived: %q", v)
		}
	}
	if m.Subject != "Hi Bcc: victim@example.com" || m.FromName != "Eve Bcc: x@evil.example" {
		t.Errorf("subject %q, name %q", m.Subject, m.FromName)
	}
	long := msg([]string{"From: a@example.com", "Subject: " + strings.Repeat("é", 600)}, "x")
	if m, err := email.Parse(long, "a@example.com"); err != nil || len(m.Subject) > email.MaxSubject || !strings.HasSuffix(m.Subject, "é") {
		t.Errorf("long subject: %d bytes, %v", len(m.Subject), err)
	}
}

func TestParseAutomated(t *testing.T) {
	t.Parallel()
	base := []string{"From: Ada <ada@example.com>", "Subject: Re: your question", "Message-ID: <a1@example.com>"}
	for _, tt := range []struct {
		name         string
		headers      []string
		envelopeFrom string
		want         email.Automated
	}{
		{"a person", nil, "ada@example.com", ""},
		{"Auto-Submitted no", []string{"Auto-Submitted: no"}, "ada@example.com", ""},
		{"auto-replied", []string{"Auto-Submitted: auto-replied"}, "ada@example.com", email.AutoSubmitted},
		{"auto-generated", []string{"Auto-Submitted: Auto-Generated"}, "ada@example.com", email.AutoSubmitted},
		{"X-Autoreply", []string{"X-Autoreply: yes"}, "ada@example.com", email.AutoSubmitted},
		{"precedence bulk", []string{"Precedence: bulk"}, "ada@example.com", email.Precedence},
		{"precedence junk", []string{"Precedence: junk"}, "ada@example.com", email.Precedence},
		{"precedence list", []string{"Precedence: list"}, "ada@example.com", email.Precedence},
		{"list id", []string{"List-Id: <news.example.com>"}, "ada@example.com", email.MailingList},
		{"list unsubscribe", []string{"List-Unsubscribe: <mailto:u@example.com>"}, "ada@example.com", email.MailingList},
		{"null sender", nil, "", email.Bounce},
		{"dsn", []string{`Content-Type: multipart/report; report-type=delivery-status; boundary="r"`}, "ada@example.com", email.Bounce},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := email.Parse(msg(append(slices.Clone(base), tt.headers...), "body"), tt.envelopeFrom)
			if err != nil || m.Automated != tt.want {
				t.Errorf("automated %q (%v), want %q", m.Automated, err, tt.want)
			}
		})
	}
	daemon := msg([]string{"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>", "Subject: Undelivered"}, "failed")
	if m, err := email.Parse(daemon, "bounces@mx.example.com"); err != nil || m.Automated != email.Bounce {
		t.Errorf("MAILER-DAEMON: %q, %v", m.Automated, err)
	}
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		raw  []byte
	}{
		{"no From", msg([]string{"Subject: hi"}, "hello")},
		{"From without an address", msg([]string{"From: Ada Lovelace", "Subject: hi"}, "hello")},
		{"From with two addresses", msg([]string{"From: a@example.com, b@example.com"}, "hello")},
		{"empty", nil},
	} {
		if _, err := email.Parse(tt.raw, "x@example.com"); !errors.Is(err, email.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", tt.name, err)
		}
	}
	// Broken parts leave what could be read: a missing closing boundary, an
	// unknown charset and bad base64.
	raw := msg([]string{"From: a@example.com", "Subject: broken", `Content-Type: multipart/mixed; boundary="b"`}, `--b
Content-Type: text/plain; charset=x-unknown-charset

readable words
--b
Content-Type: application/pdf
Content-Transfer-Encoding: base64

!!!not base64!!!
`)
	m, err := email.Parse(raw, "a@example.com")
	if err != nil || !strings.Contains(m.Body, "readable words") {
		t.Errorf("broken parts: %q, %v", m.Body, err)
	}
}

func TestStripQuoted(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"Thanks!", "Thanks!"},
		{"Thanks!\n\n> earlier", "Thanks!"},
		{"Yes.\n\n-----Original Message-----\nFrom: x", "Yes."},
		{"Fine\n________________________________\nFrom: Shop", "Fine"},
		{"> all quoted\n> text", "> all quoted\n> text"},
		{"Keep the 3 > 2 comparison", "Keep the 3 > 2 comparison"},
		{"See you.\n-- \nAda Lovelace\nAnalytical Engines Ltd", "See you."},
		{"See you.\n--\nAda", "See you."},
		{"Got it\n\nSent from my iPhone", "Got it"},
		{"Prices went up -- again", "Prices went up -- again"},
		{"a --\nline", "a --\nline"},
	} {
		if got := email.StripQuoted(tt.in); got != tt.want {
			t.Errorf("StripQuoted(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestParseCharsets: mail in other charsets is read as UTF-8 (a Japanese
// subject, a Windows-1252 body, a Cyrillic name), and bytes that are not
// text in the charset a mail claims become U+FFFD: nothing but valid UTF-8
// reaches the store, whatever the sender wrote.
func TestParseCharsets(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name                    string
		raw                     []byte
		fromName, subject, body string
	}{
		{"ISO-2022-JP subject, Windows-1252 body",
			msg([]string{"From: a@example.com", "Subject: =?ISO-2022-JP?B?GyRCJTUlXSE8JUgbKEI=?=", "MIME-Version: 1.0",
				"Content-Type: text/plain; charset=windows-1252", "Content-Transfer-Encoding: 8bit"}, "It said \x93delivered\x94 \x96 it was not."),
			"", "サポート", "It said “delivered” – it was not."},
		{"KOI8-R name",
			msg([]string{"From: =?KOI8-R?B?8NLJ18XU?= <p@example.com>", "Subject: hi", "Content-Type: text/plain; charset=utf-8"}, "ok"),
			"Привет", "hi", "ok"},
		{"invalid UTF-8 everywhere",
			msg([]string{"From: B\xffob <b@example.com>", "Subject: bad \xfe\xff bytes", "Content-Type: text/plain; charset=utf-8"}, "half \xe2\x82 a euro"),
			"B\uFFFDob", "bad \uFFFD bytes", "half \uFFFD a euro"},
		{"an unknown charset",
			msg([]string{"From: c@example.com", "Subject: =?x-martian?Q?zz?=", "Content-Type: text/plain; charset=x-martian"}, "plain words"),
			"", "", "plain words"},
	} {
		m, err := email.Parse(tt.raw, "x@example.com")
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		for field, v := range map[string]string{"name": m.FromName, "subject": m.Subject, "body": m.Body, "full text": m.FullText} {
			if !utf8.ValidString(v) {
				t.Errorf("%s: %s %q is not valid UTF-8", tt.name, field, v)
			}
		}
		if tt.fromName != "" && m.FromName != tt.fromName {
			t.Errorf("%s: name %q, want %q", tt.name, m.FromName, tt.fromName)
		}
		if tt.subject != "" && m.Subject != tt.subject {
			t.Errorf("%s: subject %q, want %q", tt.name, m.Subject, tt.subject)
		}
		if !strings.Contains(m.Body, tt.body) {
			t.Errorf("%s: body %q, want it to hold %q", tt.name, m.Body, tt.body)
		}
	}
}
