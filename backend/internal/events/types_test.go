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
)

// TestNoBareEventTypes holds every event type to its constant in types.go:
// it fails on a string literal anywhere in backend/internal or backend/cmd,
// code or test, that equals a declared type's value, or that quotes one in
// SQL (a type in quotes: pass the constant as an argument instead).
func TestNoBareEventTypes(t *testing.T) {
	t.Parallel()
	declared := declaredTypes(t)
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

// declaredTypes reads types.go's constants of type Type: value -> name. It
// fails on two constants of one value.
func declaredTypes(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "types.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Type" {
				continue
			}
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("events.%s is not a string literal", name.Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				if other, dup := out[v]; dup {
					t.Errorf("events.%s and events.%s are both %q", other, name.Name, v)
				}
				out[v] = name.Name
			}
		}
	}
	return out
}
