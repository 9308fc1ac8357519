package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestTableOwnership holds every table of the migrations to one owning
// package, as the package docs declare it:
//
//	// Tables owned: conversations, messages (a remark), ...
//	// Columns owned: workspaces.last_seq (another package's table).
//	// Tables read: handoffs, tags (read models: what it reports on).
//	// Fixtures written: workspaces (only a test-fixture package, *test).
//
// Every table is owned exactly once; a package's SQL writes only the tables
// it owns (or, for a column it owns, that table) and reads only those and
// the tables it declares it reads. A test-fixture package (its name ends
// in "test"; only tests import it) may also write the fixtures it
// declares, as tests build a state no service would. The SQL is read from the string
// literals of each internal package's non-test Go files.
func TestTableOwnership(t *testing.T) {
	t.Parallel()
	tables := migrationTables(t)
	decls := map[string]*ownership{} // by package
	owner := map[string]string{}     // table -> package
	sql := map[string]map[string]access{}
	dirs, err := filepath.Glob("../*")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		pkg := filepath.Base(dir)
		d, uses := readPackage(t, dir, tables)
		decls[pkg], sql[pkg] = d, uses
		for _, tb := range d.owned {
			if !tables[tb] {
				t.Errorf("%s owns %s, which no migration creates", pkg, tb)
			}
			if other, ok := owner[tb]; ok {
				t.Errorf("%s is owned by both %s and %s", tb, other, pkg)
			}
			owner[tb] = pkg
		}
		for _, tb := range d.read {
			if !tables[tb] {
				t.Errorf("%s reads %s, which no migration creates", pkg, tb)
			}
		}
		if len(d.fixtures) > 0 && !strings.HasSuffix(pkg, "test") {
			t.Errorf("%s declares fixtures it writes, but is not a test-fixture package (*test)", pkg)
		}
	}
	for _, tb := range slices.Sorted(maps.Keys(tables)) {
		if owner[tb] == "" {
			t.Errorf("no package owns %s (declare it in the owner's package doc: // Tables owned: ...)", tb)
		}
	}
	for _, pkg := range slices.Sorted(maps.Keys(sql)) {
		d := decls[pkg]
		for _, tb := range slices.Sorted(maps.Keys(sql[pkg])) {
			a := sql[pkg][tb]
			switch {
			case owner[tb] == pkg:
			case a.writes && slices.Contains(d.fixtures, tb) && strings.HasSuffix(pkg, "test"):
			case a.writes && !slices.ContainsFunc(d.columns, func(c string) bool { return strings.HasPrefix(c, tb+".") }):
				t.Errorf("%s writes %s, owned by %s (%s)", pkg, tb, owner[tb], a.where)
			case !a.writes && !slices.Contains(d.read, tb) && !slices.Contains(d.fixtures, tb) && !slices.ContainsFunc(d.columns, func(c string) bool { return strings.HasPrefix(c, tb+".") }):
				t.Errorf("%s reads %s, owned by %s, without declaring it (// Tables read: %s) (%s)", pkg, tb, owner[tb], tb, a.where)
			}
		}
		for _, tb := range d.read {
			if _, used := sql[pkg][tb]; !used {
				t.Errorf("%s declares it reads %s, but no SQL of its does", pkg, tb)
			}
		}
	}
}

// ownership is what a package's docs declare of the tables.
type ownership struct {
	owned, columns, read, fixtures []string
}

// access is how a package's SQL uses a table: whether it writes it, and
// one place it does.
type access struct {
	writes bool
	where  string
}

var (
	createTable = regexp.MustCompile(`(?i)\bCREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)`)
	dropTable   = regexp.MustCompile(`(?i)\bDROP TABLE (?:IF EXISTS )?([a-z_]+)`)
	sqlWrite    = regexp.MustCompile(`(?i)\b(?:INSERT(?: IGNORE)?(?: OR [A-Z]+)? INTO|REPLACE INTO|UPDATE|DELETE FROM)\s+([a-z_]+)`)
	sqlRead     = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+([a-z_]+)`)
	declaration = regexp.MustCompile(`^(Tables owned|Columns owned|Tables read|Fixtures written):\s*(.*)$`)
	parenthesis = regexp.MustCompile(`\([^()]*\)`)
)

// migrationTables are the tables the migrations leave, in both dialects
// (each must have the same).
func migrationTables(t *testing.T) map[string]bool {
	t.Helper()
	var out map[string]bool
	for _, dialect := range []string{"sqlite", "mysql"} {
		files, err := filepath.Glob(filepath.Join("migrations", dialect, "*.sql"))
		if err != nil || len(files) == 0 {
			t.Fatalf("migrations of %s: %v", dialect, err)
		}
		got := map[string]bool{}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			up := string(b)
			if i := strings.Index(up, "-- +goose Down"); i >= 0 {
				up = up[:i]
			}
			for _, m := range createTable.FindAllStringSubmatch(up, -1) {
				got[strings.ToLower(m[1])] = true
			}
			for _, m := range dropTable.FindAllStringSubmatch(up, -1) {
				delete(got, strings.ToLower(m[1]))
			}
		}
		if out != nil && !maps.Equal(out, got) {
			t.Fatalf("the dialects' migrations leave different tables: %v and %v", slices.Sorted(maps.Keys(out)), slices.Sorted(maps.Keys(got)))
		}
		out = got
	}
	return out
}

// readPackage reads a package's declarations (from its comments) and the
// tables its non-test SQL uses (from its string literals).
func readPackage(t *testing.T, dir string, tables map[string]bool) (*ownership, map[string]access) {
	t.Helper()
	d := &ownership{}
	uses := map[string]access{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, cg := range file.Comments {
			readDeclarations(cg.Text(), d)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			where := fset.Position(lit.Pos()).String()
			for _, m := range sqlWrite.FindAllStringSubmatch(s, -1) {
				if tb := strings.ToLower(m[1]); tables[tb] {
					uses[tb] = access{writes: true, where: where}
				}
			}
			for _, m := range sqlRead.FindAllStringSubmatch(s, -1) {
				if tb := strings.ToLower(m[1]); tables[tb] {
					if _, seen := uses[tb]; !seen {
						uses[tb] = access{where: where}
					}
				}
			}
			return true
		})
	}
	return d, uses
}

// readDeclarations adds a comment's declarations to d. One may run over
// several lines, to the full stop that ends it outside any parenthesis.
func readDeclarations(text string, d *ownership) {
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		m := declaration.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			continue
		}
		body := m[2]
		for !strings.HasSuffix(strings.TrimSpace(strip(body)), ".") && i+1 < len(lines) {
			i++
			body += " " + strings.TrimSpace(lines[i])
		}
		var names []string
		for _, part := range strings.Split(strings.TrimSuffix(strings.TrimSpace(strip(body)), "."), ",") {
			if name := strings.TrimSpace(part); name != "" {
				names = append(names, name)
			}
		}
		switch m[1] {
		case "Tables owned":
			d.owned = append(d.owned, names...)
		case "Columns owned":
			d.columns = append(d.columns, names...)
		case "Tables read":
			d.read = append(d.read, names...)
		case "Fixtures written":
			d.fixtures = append(d.fixtures, names...)
		}
	}
}

// strip removes parenthesized remarks (nested ones too).
func strip(s string) string {
	for {
		out := parenthesis.ReplaceAllString(s, "")
		if out == s {
			return out
		}
		s = out
	}
}
