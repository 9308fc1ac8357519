package email_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestEmailRatingMail closes the chat of a customer who left (they gave
// their email): they are mailed links to rate it. Opening a link (as a mail
// scanner would) rates nothing; the page's form does, once; a forged link
// or a bad rating is refused. A customer whom the widget showed the close
// gets no mail: the widget asked them there.
func TestEmailRatingMail(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		m := startMailServer(t, opts, func(c *config.Config) {
			c.MailUnseenAfter, c.MailSecret, c.PublicURL = 2*time.Second, strings.Repeat("s", 32), "https://support.shop.example"
		})
		w := rpctest.WorldOn(t, m.Server)
		c := m.Clients(rpcclient.GRPC)
		m.inbox(t, w, "help@shop.example", false)
		left, stayed := w.Conversation(w.Visitor), w.Conversation(w.Other)
		for _, v := range []string{w.VisitorToken, w.TokenOf(w.Other)} {
			if _, err := c.Widget.UpdateVisitor(rpcclient.WithToken(w.Ctx, v), &tandemv1.UpdateVisitorRequest{Email: ptr(rpctest.Unique("c") + "@example.com")}); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{left.ID, stayed.ID} {
			if _, err := c.Conversation.CloseConversation(w.As("owner"), &tandemv1.CloseConversationRequest{ConversationId: id}); err != nil {
				t.Fatal(err)
			}
		}
		// The widget shows the second customer the close.
		h, err := c.Conversation.GetConversation(w.As("owner"), &tandemv1.GetConversationRequest{ConversationId: stayed.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Widget.MarkSeen(rpcclient.WithToken(w.Ctx, w.TokenOf(w.Other)), &tandemv1.MarkSeenRequest{ConversationId: stayed.ID,
			Seq: h.GetHistory()[0].GetSeq()}); err != nil {
			t.Fatal(err)
		}

		m.arrived(t, 1)
		time.Sleep(2500 * time.Millisecond) // the second would be due by now
		got := m.mp.Messages(t)
		if len(got) != 1 {
			t.Fatalf("%d rating mails, want one", len(got))
		}
		links := regexp.MustCompile(`https://support\.shop\.example/rate/[a-z2-7]+\?rating=[1-5]`).FindAllString(got[0].Text, -1)
		if got[0].Subject != "How did we do?" || len(links) != 5 {
			t.Fatalf("rating mail %q with links %q:\n%s", got[0].Subject, links, got[0].Text)
		}
		four := ""
		for _, l := range links {
			if strings.HasSuffix(l, "rating=4") {
				four = m.URL + strings.TrimPrefix(l, "https://support.shop.example")
			}
		}
		rating := func() int32 {
			t.Helper()
			h, err := c.Conversation.GetConversation(w.As("owner"), &tandemv1.GetConversationRequest{ConversationId: left.ID})
			if err != nil {
				t.Fatal(err)
			}
			return h.GetConversation().GetCsatRating()
		}

		// Opening the link shows the form with 4 chosen, and rates nothing.
		resp, body := rpctest.Do(t, http.DefaultClient, http.MethodGet, four, nil, "")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="4" required checked`) ||
			resp.Header.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("GET %s: %d %v\n%s", four, resp.StatusCode, resp.Header, body)
		}
		if r := rating(); r != 0 {
			t.Fatalf("opening the link rated %d", r)
		}
		form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		post := func(link, values string) (int, string) {
			t.Helper()
			resp, body := rpctest.Do(t, http.DefaultClient, http.MethodPost, strings.Split(link, "?")[0], form, values)
			return resp.StatusCode, body
		}
		if code, _ := post(four, "rating=9"); code != http.StatusBadRequest {
			t.Errorf("rating 9: %d", code)
		}
		forged := strings.Replace(four, "/rate/", "/rate/a", 1)
		if code, _ := post(forged, "rating=5"); code != http.StatusNotFound {
			t.Errorf("a forged link: %d", code)
		}
		if code, body := post(four, url.Values{"rating": {"4"}, "comment": {"Quick and kind <b>thanks</b>"}}.Encode()); code != http.StatusOK ||
			!strings.Contains(body, "Thanks for your rating") {
			t.Fatalf("sending the form: %d\n%s", code, body)
		}
		if r := rating(); r != 4 {
			t.Errorf("rating %d, want 4", r)
		}
		if code, _ := post(four, "rating=1"); code != http.StatusConflict {
			t.Errorf("rating twice: %d", code)
		}
		if r := rating(); r != 4 {
			t.Errorf("rating %d after a second try, want 4", r)
		}
	})
}
