package app_test

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"testing"

	"github.com/tandem-inbox/tandem/desktop/internal/app"
)

// TestBridgeMatchesApp keeps the frontend's list of bound methods
// (frontend/src/bridge.ts, interface Bound) equal to App's methods, so a
// method renamed or added on one side fails here rather than in the window.
func TestBridgeMatchesApp(t *testing.T) {
	src, err := os.ReadFile("../../frontend/src/bridge.ts")
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`(?s)export interface Bound \{(.*?)\n\}`).FindSubmatch(src)
	if body == nil {
		t.Fatal("no interface Bound in bridge.ts")
	}
	var ts []string
	for _, m := range regexp.MustCompile(`(?m)^\s+([A-Z]\w*)\(`).FindAllSubmatch(body[1], -1) {
		ts = append(ts, string(m[1]))
	}
	var goNames []string
	typ := reflect.TypeFor[*app.App]()
	for i := range typ.NumMethod() {
		goNames = append(goNames, typ.Method(i).Name)
	}
	slices.Sort(ts)
	slices.Sort(goNames)
	if !slices.Equal(ts, goNames) {
		t.Fatalf("bridge.ts Bound has\n%v\napp.App has\n%v", ts, goNames)
	}
	// Parameter counts must match too (Wails passes arguments by position).
	for _, m := range regexp.MustCompile(`(?m)^\s+([A-Z]\w*)\(([^)]*)\)`).FindAllSubmatch(body[1], -1) {
		method, _ := typ.MethodByName(string(m[1]))
		n := 0
		if len(m[2]) > 0 {
			n = len(regexp.MustCompile(`,`).FindAll(m[2], -1)) + 1
		}
		if got := method.Type.NumIn() - 1; got != n {
			t.Errorf("%s takes %d arguments in Go, %d in bridge.ts", m[1], got, n)
		}
	}
}
