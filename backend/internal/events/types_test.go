package events_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestNoBareEventTypes holds every event type to its constant in types.go:
// it fails on a string literal anywhere in backend/internal or backend/cmd,
// code or test, that equals a declared type's value, or that quotes one in
// SQL (a type in quotes: pass the constant as an argument instead).
func TestNoBareEventTypes(t *testing.T) {
	t.Parallel()
	declared := storetest.EventTypes(t)
	if len(declared) == 0 {
		t.Fatal("types.go declares no event type")
	}
	for _, root := range []string{"..", "../../cmd"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || path == filepath.Join("..", "events", "types.go") {
				return err
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			skip := map[*ast.BasicLit]bool{} // struct tags and import paths are no values
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.Field:
					if n.Tag != nil {
						skip[n.Tag] = true
					}
				case *ast.ImportSpec:
					skip[n.Path] = true
				case *ast.BasicLit:
					if n.Kind != token.STRING || skip[n] {
						return true
					}
					s, err := strconv.Unquote(n.Value)
					if err != nil {
						return true
					}
					for v, name := range declared {
						if s == v || strings.Contains(s, "'"+v+"'") {
							t.Errorf("%s: %s is events.%s", fset.Position(n.Pos()), n.Value, name)
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
