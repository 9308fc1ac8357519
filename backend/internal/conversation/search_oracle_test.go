package conversation_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/contact"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// searchPieces are what the texts and queries of TestSearchAgainstModel
// are made of: letters of both cases in several scripts (whose lower case
// Go and MySQL agree on), LIKE's wildcards and escape, SQL's quotes,
// comments and separators, and a 4-byte emoji.
var searchPieces = []string{
	"a", "B", "c", "D", "x", "Y", "é", "É", "ß", "ç", "Ç", "σ", "Σ", "ж", "Ж", "中", "文", "🙂",
	"%", "_", "!", "\\", "'", "\"", "`", ";", "--", "/*", "*/", "#", " ", "(", ")", "=", "0", "1",
}

// sqlPayloads are classic injections and LIKE tricks, as search queries.
var sqlPayloads = []string{
	"' OR '1'='1", "' OR 1=1 -- ", "\" OR \"\"=\"", "') OR ('x'='x", "%' OR '%'='",
	"'; DROP TABLE messages; --", "' UNION SELECT id, body FROM messages --", "1; SELECT SLEEP(5)",
	"' AND SLEEP(5) AND '", "\\' OR 1=1 #", "\\", "\\%", "\\_", "!%", "!!", "%%", "__", "%_%",
	"*/ OR /*", "' || (SELECT password_hash FROM users LIMIT 1) || '", "CHAR(39)", "0x27",
	"\x00", "'\x00--", "ESCAPE '!'", "[a-z]", "^.*$", "' COLLATE utf8mb4_general_ci --",
}

// TestSearchAgainstModel holds the inbox's text search to a model of what
// it promises (INP-04): a conversation is found when one of its messages,
// or its customer's name, email or external id, holds the query, whatever
// the case of either, and nothing else is found. The texts and queries
// mix SQL injections, LIKE wildcards and escapes, quotes, comments and
// letters of several scripts in both cases, on both databases, through
// the API; every answer is OK, the database is unchanged by searching,
// and no other workspace's conversation appears.
func TestSearchAgainstModel(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent := w.As("agent")
		rng := rand.New(rand.NewPCG(uint64(len(opts.URL)), 21))
		text := func(n int) string {
			var b strings.Builder
			for range n {
				b.WriteString(searchPieces[rng.IntN(len(searchPieces))])
			}
			return strings.TrimSpace(b.String()) + "."
		}

		// Each conversation's customer and messages; the same texts in W2.
		type searchable struct {
			id    string
			texts []string // name, email and message bodies as stored
		}
		var convs []searchable
		for i := range 12 {
			name, body := text(6), text(12)
			email := ""
			if i%3 == 0 {
				email = "c" + string(rune('a'+i)) + "_x.y@example.test"
			}
			for _, ws := range []string{w.W1.PublicKey, w.W2.PublicKey} {
				sess, err := w.Srv.Domain().Contacts.StartSession(w.Ctx, contact.SessionRequest{PublicKey: ws, Name: name, Email: email})
				if err != nil {
					t.Fatal(err)
				}
				p, err := w.Srv.Domain().Contacts.AuthenticateVisitor(w.Ctx, sess.Token)
				if err != nil {
					t.Fatal(err)
				}
				conv, _, err := w.Srv.Domain().Conversations.Start(w.Ctx, p, uuid.NewString(), "", nil, body)
				if err != nil {
					t.Fatal(err)
				}
				if ws != w.W1.PublicKey {
					continue
				}
				if i%2 == 0 {
					if _, err := c.Conversation.SendMessage(agent, &tandemv1.SendMessageRequest{ConversationId: conv.ID,
						ClientId: uuid.NewString(), Body: text(10)}); err != nil {
						t.Fatal(err)
					}
				}
				convs = append(convs, searchable{id: conv.ID})
			}
		}
		// The model reads back what was stored, so that it compares with
		// the texts as the server keeps them (bot replies included).
		for i := range convs {
			resp, err := c.Conversation.GetConversation(agent, &tandemv1.GetConversationRequest{ConversationId: convs[i].id, PageSize: 200})
			if err != nil {
				t.Fatal(err)
			}
			cust := resp.GetConversation().GetContact()
			convs[i].texts = append(convs[i].texts, cust.GetName(), cust.GetEmail(), cust.GetExternalId())
			for _, m := range resp.GetHistory() {
				if m.GetKind() != tandemv1.MessageKind_MESSAGE_KIND_ACTIVITY {
					convs[i].texts = append(convs[i].texts, m.GetBody())
				}
			}
		}
		want := func(q string) []string {
			var out []string
			for _, cv := range convs {
				if slices.ContainsFunc(cv.texts, func(s string) bool {
					return s != "" && strings.Contains(strings.ToLower(s), strings.ToLower(q))
				}) {
					out = append(out, cv.id)
				}
			}
			slices.Sort(out)
			return out
		}

		// Queries: pieces of stored texts with their case flipped, random
		// strings of the same pieces, and the payloads.
		queries := slices.Clone(sqlPayloads)
		for range 60 {
			cv := convs[rng.IntN(len(convs))]
			s := []rune(cv.texts[rng.IntN(len(cv.texts))])
			if len(s) < 2 {
				continue
			}
			from := rng.IntN(len(s) - 1)
			piece := string(s[from : from+1+rng.IntN(min(6, len(s)-from))])
			if rng.IntN(2) == 0 {
				piece = strings.ToUpper(piece)
			}
			queries = append(queries, piece)
		}
		for range 40 {
			queries = append(queries, text(1+rng.IntN(3)))
		}

		state := []string{
			`SELECT id, name, email FROM contacts WHERE workspace_id = ? ORDER BY id`,
			`SELECT id, body FROM messages WHERE workspace_id = ? ORDER BY id`,
			`SELECT id, state, last_seq FROM conversations WHERE workspace_id = ? ORDER BY id`,
		}
		before := w.Digest(w.W1.ID, state...)
		for _, q := range queries {
			if strings.TrimSpace(q) == "" {
				continue
			}
			resp, err := c.Conversation.ListConversations(agent, &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID,
				PageSize: 100, Filter: &tandemv1.ConversationFilter{Text: q}})
			if strings.ContainsRune(q, 0) {
				// SQLite's LIKE would end the pattern at a NUL: refused.
				if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "filter.text") {
					t.Fatalf("search %q: %v, want InvalidArgument naming filter.text", q, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("search %q: %v (%v)", q, err, connect.CodeOf(err))
			}
			var got []string
			for _, cv := range resp.GetConversations() {
				got = append(got, cv.GetId())
			}
			slices.Sort(got)
			if w := want(q); !slices.Equal(got, w) {
				t.Errorf("search %q: found %d conversations, the model %d:\n got  %v\n want %v", q, len(got), len(w), got, w)
			}
		}
		if after := w.Digest(w.W1.ID, state...); after != before {
			t.Fatal("searching changed the workspace's rows")
		}
	})
}
