package config

import (
	"io"
	"strings"
	"testing"
)

// TestFilesOrigin (FILE-02): files are served from another origin than the
// API's, on another host (a host's cookies go to all its ports), by
// default with no setting at all, and tandemd refuses to start with a files
// URL that the API's cookies would reach.
func TestFilesOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env            map[string]string
		addr, filesURL string
	}{
		{nil, "127.0.0.1:8081", "http://localhost:8081"},
		{map[string]string{"TANDEM_ADDR": "0.0.0.0:9000"}, "0.0.0.0:9001", "http://127.0.0.1:9001"}, // the API's public URL is localhost's
		{map[string]string{"TANDEM_ADDR": "localhost:9000"}, "localhost:9001", "http://127.0.0.1:9001"},
		{map[string]string{"TANDEM_ADDR": "127.0.0.1:0"}, "127.0.0.1:0", ""}, // the server names the port it gets
		{map[string]string{"TANDEM_FILES_ADDR": "127.0.0.1:7000"}, "127.0.0.1:7000", "http://localhost:7000"},
		{map[string]string{"TANDEM_PUBLIC_URL": "https://support.shop.example", "TANDEM_FILES_URL": "https://files.shop.example/"},
			"127.0.0.1:8081", "https://files.shop.example"},
	} {
		c, err := Load(t.Context(), nil, env(tc.env), io.Discard)
		if err != nil || c.FilesAddr != tc.addr || c.FilesURL != tc.filesURL {
			t.Errorf("%v: files on %q at %q (%v), want %q at %q", tc.env, c.FilesAddr, c.FilesURL, err, tc.addr, tc.filesURL)
		}
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"TANDEM_FILES_URL": "http://127.0.0.1:8080"}, "TANDEM_FILES_URL): \"http://127.0.0.1:8080\" has the API's origin"},
		{map[string]string{"TANDEM_FILES_URL": "http://127.0.0.1:8081"}, "TANDEM_FILES_URL): \"http://127.0.0.1:8081\" has the API's host"},
		{map[string]string{"TANDEM_PUBLIC_URL": "https://support.shop.example", "TANDEM_FILES_URL": "https://SUPPORT.shop.example/files"}, "has the API's origin"},
		{map[string]string{"TANDEM_PUBLIC_URL": "https://support.shop.example", "TANDEM_FILES_URL": "https://support.shop.example:8443"}, "has the API's host"},
		{map[string]string{"TANDEM_PUBLIC_URL": "http://localhost:8080"}, "TANDEM_FILES_URL"}, // the default would be localhost's too
		{map[string]string{"TANDEM_FILES_URL": "ftp://files.shop.example"}, "TANDEM_FILES_URL"},
		{map[string]string{"TANDEM_FILES_URL": "https://files.shop.example/?x=1"}, "TANDEM_FILES_URL"},
		{map[string]string{"TANDEM_FILES_ADDR": "127.0.0.1:8080"}, "TANDEM_FILES_ADDR): must differ from --addr"},
		{map[string]string{"TANDEM_FILES_ADDR": "nonsense"}, "TANDEM_FILES_ADDR"},
	} {
		_, err := Load(t.Context(), nil, env(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want it to mention %q", tc.env, err, tc.want)
		}
	}
}
