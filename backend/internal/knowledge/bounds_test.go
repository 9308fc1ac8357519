package knowledge_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/handlertest"
	"github.com/tandem-inbox/tandem/backend/internal/knowledge"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSecurityKnowledgeParserBounds: pathological documents (the abuse
// probe's "> " * n, deep lists, nested HTML, a huge table, exploding
// references) are refused with InvalidArgument naming the bound, or parsed,
// each well within a deadline far shorter than what they took before (n=200k
// took 88 s); nothing is stored for a refused one; a cancelled parse stops.
func TestSecurityKnowledgeParserBounds(t *testing.T) {
	t.Parallel()
	deepList := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(strings.Repeat("  ", i) + "- item\n")
		}
		return b.String()
	}
	cases := []struct {
		name, filename, content string
		refusal                 string // "" when it must parse
	}{
		{"quotes 40k", "q.md", strings.Repeat("> ", 40_000) + "x", "32 deep"},
		{"quotes 200k", "q.md", strings.Repeat("> ", 200_000) + "x", "32 deep"},
		{"bullets on one line", "l.md", strings.Repeat("- ", 100_000) + "x", "32 deep"},
		{"numbered on one line", "l.md", strings.Repeat("1. ", 100_000) + "x", "32 deep"},
		{"list nested by indentation", "l.md", deepList(2000), "32 deep"},
		{"nested divs", "d.html", strings.Repeat("<div>", 200_000) + "x", "512 deep"},
		{"nested tables", "t.html", strings.Repeat("<table><tr><td>", 100_000) + "x", "512 deep"},
		{"unclosed bold", "b.html", strings.Repeat("<b>", 200_000) + "x", "512 deep"},
		{"wide table", "t.md", "|" + strings.Repeat("a|", 5000) + "\n|" + strings.Repeat("-|", 5000) + "\n" + strings.Repeat("|x\n", 5000),
			"128 columns"},
		{"references that explode", "r.md", "[a]: http://" + strings.Repeat("x", 5000) + "\n\n" + strings.Repeat("[a] ", 200_000), "16 MiB"},
		{"a list 30 deep is fine", "ok.md", deepList(30), ""},
		{"many paragraphs are fine", "ok.html", strings.Repeat("<p>x", 200_000), ""},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		who := &handlertest.Caller{P: e.owner, Scope: &access.Scope{WorkspaceID: e.w1.ID, Role: access.RoleOwner}}
		url, hc := handlertest.Serve(t, who, func(opts ...connect.HandlerOption) (string, http.Handler) {
			return tandemv1connect.NewKnowledgeServiceHandler(knowledge.NewHandler(e.svc), append(opts, connect.WithReadMaxBytes(10<<20))...)
		})
		client := tandemv1connect.NewKnowledgeServiceClient(hc, url, connect.WithSendMaxBytes(10<<20))
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				// Generous for a 1 s target under -race on a shared machine
				// (200,000 paragraphs took 15 s there with every test running
				// at once); before the bounds, the quotes took 3 s and 88 s
				// alone.
				ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
				defer cancel()
				req := &tandemv1.UploadDocumentRequest{WorkspaceId: e.w1.ID, Filename: tc.filename, Content: []byte(tc.content),
					ClientId: uuid.NewString()}
				if tc.refusal == "" {
					if _, err := client.UploadDocument(ctx, req); err != nil {
						t.Fatalf("upload: %v", err)
					}
					return
				}
				e.refused(t, func(err error) bool {
					return connect.CodeOf(err) == connect.CodeInvalidArgument && strings.Contains(err.Error(), "content") &&
						strings.Contains(err.Error(), tc.refusal)
				}, func() error {
					_, err := client.UploadDocument(ctx, req)
					return err
				})
			})
		}
	})

	t.Run("a cancelled parse stops", func(t *testing.T) {
		// A large, legitimate document that takes a while to read.
		doc := []byte(strings.Repeat("Some *normal* text with [a link](http://x.example) and `code`.\n\n", 120_000))
		for _, f := range []knowledge.Format{knowledge.FormatMarkdown, knowledge.FormatText} {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			_, err := knowledge.Parse(ctx, f, "big.md", doc)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: Parse after cancel = %v, want context.Canceled", f, err)
			}
		}
	})

	t.Run("parses run a few at a time", func(t *testing.T) {
		e := newEnv(t, storetest.New(t, "sqlite"))
		svc := e.newService(t, knowledge.Options{MaxParses: 1})
		release := svc.HoldParse()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		up := knowledge.Upload{Filename: "a.md", Content: []byte("# Returns\n\nWithin 30 days.")}
		if _, err := svc.Upload(ctx, e.owner, e.w1.ID, up); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("upload while every slot is busy = %v, want its deadline", err)
		}
		release()
		if _, err := svc.Upload(context.Background(), e.owner, e.w1.ID, up); err != nil {
			t.Errorf("upload once a slot is free: %v", err)
		}
	})
}
