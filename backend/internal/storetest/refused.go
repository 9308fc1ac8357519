package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Refused runs fn, which must fail as match says, and checks that it changed
// nothing the queries read and appended no event: a refused call leaves no
// partial write behind.
func Refused(t testing.TB, db *store.DB, match func(error) bool, fn func() error, queries ...string) {
	t.Helper()
	before := Rows(t, db, queries...)
	if err := fn(); !match(err) {
		t.Fatalf("unexpected error: %v", err)
	}
	if diff := cmp.Diff(before, Rows(t, db, queries...)); diff != "" {
		t.Errorf("a refused call changed the database (-before +after):\n%s", diff)
	}
}

// Rows is a fingerprint of the database: every row the queries read, in
// sorted order, and the number of events in the log.
func Rows(t testing.TB, db *store.DB, queries ...string) []string {
	t.Helper()
	out := []string{}
	for _, q := range queries {
		rows, err := db.QueryxContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			cols, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s", cols))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		_ = rows.Close()
	}
	slices.Sort(out)
	return append(out, fmt.Sprint(len(Events(t, db)), " events"))
}
