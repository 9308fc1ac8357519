package app_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/app"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

func decodeDoc(t *testing.T, raw json.RawMessage) *tandemv1.KnowledgeDocument {
	t.Helper()
	d := &tandemv1.KnowledgeDocument{}
	if err := protojson.Unmarshal(raw, d); err != nil {
		t.Fatal(err)
	}
	return d
}

func titles(t *testing.T, a *app.App) []string {
	t.Helper()
	list, err := a.Documents()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, raw := range list {
		out = append(out, decodeDoc(t, raw).GetTitle())
	}
	return out
}

// TestKnowledge lists the demo documents, adds one from a file, opens it
// with its passages and headings, and deletes it; files the knowledge base
// does not take are refused in plain words, before sending (format, size,
// empty) or by the server (a PDF that is not one); an agent may read the
// documents but not add one.
func TestKnowledge(t *testing.T) {
	srv := tandemtest.Start(t, nil)
	boss := launch(t, "")
	if _, err := boss.app.SignIn(srv.URL, tandemtest.OwnerEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	if got := titles(t, boss.app); !slices.Contains(got, "Return policy") || !slices.Contains(got, "Shipping times") {
		t.Fatalf("demo documents = %q", got)
	}

	dir := t.TempDir()
	write := func(name string, content []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	guide := write("gift-cards.md", []byte("# Gift cards\n\n## Buying\nGift cards are sold in amounts of $25, $50 and $100 and never expire.\n\n## Redeeming\nEnter the code at checkout; the balance stays on the card.\n"))

	if p, err := boss.app.PickDocument(); p != nil || err != nil {
		t.Fatalf("cancelled chooser = %+v, %v", p, err)
	}
	for _, tc := range []struct{ name, path, words string }{
		{"format", write("notes.docx", []byte("PK\x03\x04")), "not a text, Markdown, HTML or PDF file"},
		{"size", write("manual.pdf", make([]byte, app.MaxDocumentBytes+1)), "larger than 8 MB"},
		{"empty", write("empty.txt", nil), "is empty"},
	} {
		boss.shell.pickDoc = tc.path
		if _, err := boss.app.PickDocument(); apiclient.KindOf(err) != apiclient.KindInvalid || !strings.Contains(apiclient.From(err).Message, tc.words) {
			t.Errorf("%s: PickDocument = %v, want %q", tc.name, err, tc.words)
		}
	}
	boss.shell.pickDoc = write("fake.pdf", []byte("hello, not a PDF"))
	fake, err := boss.app.PickDocument()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := boss.app.UploadDocument(fake.ID, "", ""); apiclient.KindOf(err) != apiclient.KindInvalid || !strings.Contains(apiclient.From(err).Message, "PDF") {
		t.Fatalf("uploading a PDF that is not one = %v", err)
	}
	if _, err := boss.app.UploadDocument("made-up", "", ""); apiclient.KindOf(err) != apiclient.KindInvalid {
		t.Fatalf("an id the app never gave = %v", err)
	}

	boss.shell.pickDoc = guide
	picked, err := boss.app.PickDocument()
	if err != nil || picked.Name != "gift-cards.md" || picked.Size == 0 {
		t.Fatalf("PickDocument = %+v, %v", picked, err)
	}
	if _, err := boss.app.UploadDocument(picked.ID, "", "ftp://example.com/gift"); apiclient.KindOf(err) != apiclient.KindInvalid ||
		!strings.Contains(apiclient.From(err).Message, "source_url") {
		t.Fatalf("a source address that is not http(s) = %v", err)
	}
	raw, err := boss.app.UploadDocument(picked.ID, "", "https://example.com/help/gift-cards")
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeDoc(t, raw)
	if doc.GetTitle() != "Gift cards" || doc.GetFormat() != tandemv1.DocumentFormat_DOCUMENT_FORMAT_MARKDOWN || doc.GetChunkCount() < 2 ||
		doc.GetFilename() != "gift-cards.md" || doc.GetSourceUrl() != "https://example.com/help/gift-cards" {
		t.Fatalf("uploaded %v", doc)
	}
	if !slices.Contains(titles(t, boss.app), "Gift cards") {
		t.Fatal("the new document is not listed")
	}
	raw, err = boss.app.Document(doc.GetId())
	if err != nil {
		t.Fatal(err)
	}
	full := &tandemv1.GetDocumentResponse{}
	if err := protojson.Unmarshal(raw, full); err != nil {
		t.Fatal(err)
	}
	var headings []string
	for _, c := range full.GetChunks() {
		headings = append(headings, c.GetHeading())
	}
	if len(full.GetChunks()) != int(doc.GetChunkCount()) || !slices.ContainsFunc(headings, func(h string) bool { return strings.Contains(h, "Redeeming") }) ||
		!strings.Contains(full.GetChunks()[0].GetText()+full.GetChunks()[1].GetText(), "never expire") {
		t.Fatalf("passages %v", full.GetChunks())
	}

	agent := launch(t, "")
	if _, err := agent.app.SignIn(srv.URL, tandemtest.AgentEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(titles(t, agent.app), "Gift cards") {
		t.Fatal("an agent does not see the documents")
	}
	agent.shell.pickDoc = guide
	ap, err := agent.app.PickDocument()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agent.app.UploadDocument(ap.ID, "", ""); apiclient.KindOf(err) != apiclient.KindForbidden || !strings.Contains(apiclient.From(err).Message, "knowledge") {
		t.Fatalf("an agent uploads = %v", err)
	}
	if err := agent.app.DeleteDocument(doc.GetId()); apiclient.KindOf(err) != apiclient.KindForbidden {
		t.Fatalf("an agent deletes = %v", err)
	}

	if err := boss.app.DeleteDocument(doc.GetId()); err != nil {
		t.Fatal(err)
	}
	if _, err := boss.app.Document(doc.GetId()); apiclient.KindOf(err) != apiclient.KindNotFound {
		t.Fatalf("the deleted document = %v", err)
	}
	if slices.Contains(titles(t, boss.app), "Gift cards") {
		t.Fatal("the deleted document is still listed")
	}
}

// TestKnowledgeGaps has a customer ask what the knowledge base does not
// answer and finds the question in the last 7 days' gaps.
func TestKnowledgeGaps(t *testing.T) {
	srv := tandemtest.Start(t, nil)
	boss := launch(t, "")
	if _, err := boss.app.SignIn(srv.URL, tandemtest.OwnerEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := boss.app.KnowledgeGaps(14); apiclient.KindOf(err) != apiclient.KindInvalid {
		t.Fatalf("14 days = %v", err)
	}
	q := "Do you sell birthday gift vouchers for kids?"
	srv.StartConversation(t, "Gus", q)
	var found *tandemv1.KnowledgeGap
	eventually(t, "the question in the gaps", func() bool {
		raw, err := boss.app.KnowledgeGaps(7)
		if err != nil {
			t.Fatal(err)
		}
		res := &tandemv1.ListKnowledgeGapsResponse{}
		if err := protojson.Unmarshal(raw, res); err != nil {
			t.Fatal(err)
		}
		for _, g := range res.GetGaps() {
			for _, qq := range g.GetQuestions() {
				if qq.GetQuestion() == q {
					found = g
				}
			}
		}
		return found != nil
	})
	if found.GetCount() < 1 || found.GetLabel() == "" || len(found.GetTerms()) == 0 {
		t.Fatalf("gap %v", found)
	}
	if raw, err := boss.app.KnowledgeGaps(30); err != nil || !strings.Contains(string(raw), "birthday") {
		t.Fatalf("30 days = %s, %v", raw, err)
	}
}
