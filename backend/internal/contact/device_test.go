package contact_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/contact"
)

func TestParseUserAgent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		ua   string
		want contact.Device
	}{
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			contact.Device{Browser: "Chrome 131", OS: "Linux", Kind: "Desktop"}},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
			contact.Device{Browser: "Safari 17", OS: "iOS 17", Kind: "Phone"}},
		{"Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 Mobile/15E148 Safari/604.1",
			contact.Device{Browser: "Safari 16", OS: "iOS 16", Kind: "Tablet"}},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
			contact.Device{Browser: "Firefox 128", OS: "Windows 10", Kind: "Desktop"}},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
			contact.Device{Browser: "Chrome 126", OS: "Android 14", Kind: "Phone"}},
		{"connect-go/1.21.1 (go1.26)", contact.Device{Browser: "connect-go 1"}},
		{"", contact.Device{}},
		{"   ", contact.Device{}},
	} {
		if got := contact.ParseUserAgent(tt.ua); got != tt.want {
			t.Errorf("ParseUserAgent(%q) = %+v, want %+v", tt.ua, got, tt.want)
		}
	}
}

func TestGeneratedName(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		id := uuid.NewString()
		n := contact.GeneratedName(id)
		if n != contact.GeneratedName(id) || n == "" {
			t.Fatalf("unstable name for %s", id)
		}
		seen[n] = true
		if got := (contact.Contact{ID: id}).DisplayName(); got != n {
			t.Errorf("DisplayName = %q, want %q", got, n)
		}
	}
	// 200 visitors get many different names (1,024 possible).
	if len(seen) < 150 {
		t.Errorf("only %d distinct names for 200 visitors", len(seen))
	}
	if got := (contact.Contact{ID: "x", Email: "a@b.test"}).DisplayName(); got != "a@b.test" {
		t.Errorf("email contact shown as %q", got)
	}
	if got := (contact.Contact{ID: "x", Name: "Ada", Email: "a@b.test"}).DisplayName(); got != "Ada" {
		t.Errorf("named contact shown as %q", got)
	}
}
