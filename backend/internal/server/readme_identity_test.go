package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// signIdentity returns what the store's page passes to Tandem.identify:
// the identity's exact JSON bytes and their signature, valid for an hour.
func signIdentity(secret, externalID, name, email string, attributes map[string]any) (identityJSON, signature string, err error) {
	now := time.Now()
	b, err := json.Marshal(map[string]any{
		"external_id": externalID, "name": name, "email": email, "attributes": attributes,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	if err != nil {
		return "", "", err
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(b)
	return string(b), hex.EncodeToString(mac.Sum(nil)), nil
}

// readmeSnippet is the first code block of the language after the README
// heading.
func readmeSnippet(t *testing.T, heading, lang string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q", heading)
	}
	_, block, ok := strings.Cut(section, "\n```"+lang+"\n")
	if !ok {
		t.Fatalf("README's %q has no %s block", heading, lang)
	}
	block, _, _ = strings.Cut(block, "\n```\n")
	return block
}

// TestReadmeSignIdentity runs the README's identity-signing examples (the
// Go one is signIdentity above, checked to be the same text; the Node one
// is run by node) against a real server: an admin reads the widget secret
// through the API, the store signs, the widget starts a verified session.
func TestReadmeSignIdentity(t *testing.T) {
	t.Parallel()
	const heading = "### Signing a shopper's identity"
	fset := token.NewFileSet()
	src, err := os.ReadFile("readme_identity_test.go")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(fset, "readme_identity_test.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var ours string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "signIdentity" {
			ours = string(src[fset.Position(fn.Doc.Pos()).Offset:fset.Position(fn.End()).Offset])
		}
	}
	if readme := readmeSnippet(t, heading, "go"); readme != ours {
		t.Fatalf("the README's Go example differs from signIdentity in this test:\n%s\n---\n%s", readme, ours)
	}

	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		got, err := c.Workspace.GetWidgetSecret(w.As("admin"), &tandemv1.GetWidgetSecretRequest{WorkspaceId: w.W1.ID})
		rpctest.WantCode(t, err, 0)
		secret := got.GetSecret()

		start := func(t *testing.T, externalID, identityJSON, signature string) {
			t.Helper()
			res, err := c.Widget.StartSession(w.Ctx, &tandemv1.StartSessionRequest{PublicKey: w.W1.PublicKey,
				IdentityJson: identityJSON, IdentitySignature: signature})
			rpctest.WantCode(t, err, 0)
			if !res.GetIdentityVerified() {
				t.Fatal("the example's identity is not verified")
			}
			ct, err := w.Srv.Domain().Contacts.Get(w.Ctx, w.W1.ID, res.GetContactId())
			if err != nil {
				t.Fatal(err)
			}
			if ct.ExternalID == nil || *ct.ExternalID != externalID || ct.Name != "Vera" || ct.Verified["vip"] != "true" {
				t.Fatalf("contact = %+v", ct)
			}
		}

		t.Run("go", func(t *testing.T) {
			identityJSON, signature, err := signIdentity(secret, "go-42", "Vera", "vera@example.com", map[string]any{"vip": true})
			if err != nil {
				t.Fatal(err)
			}
			start(t, "go-42", identityJSON, signature)
		})

		t.Run("node", func(t *testing.T) {
			node, err := exec.LookPath("node")
			if err != nil {
				if os.Getenv("CI") != "" {
					t.Fatal("node is not installed (CI installs it for the widget)")
				}
				t.Skip("node is not installed")
			}
			script := filepath.Join(t.TempDir(), "sign.mjs")
			code := readmeSnippet(t, heading, "js") + `
const out = signIdentity(process.env.SECRET, { externalId: "node-42", name: "Vera", email: "vera@example.com", attributes: { vip: true } });
process.stdout.write(JSON.stringify(out));
`
			if err := os.WriteFile(script, []byte(code), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(w.Ctx, node, script)
			cmd.Env = append(os.Environ(), "SECRET="+secret)
			b, err := cmd.Output()
			if err != nil {
				t.Fatalf("node: %v", err)
			}
			var out struct{ IdentityJSON, Signature string }
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("node printed %s: %v", b, err)
			}
			start(t, "node-42", out.IdentityJSON, out.Signature)
		})
	})
}
