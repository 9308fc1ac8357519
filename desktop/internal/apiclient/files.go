package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
)

// MaxFileBytes is the server's limit on one attachment (10 MiB).
const MaxFileBytes = 10 << 20

// fileTimeout bounds one upload or download.
const fileTimeout = 5 * time.Minute

func (c *Client) fileRequest(ctx context.Context, method, u string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if c.token != nil {
		if t := c.token(); t != "" {
			req.Header.Set("Authorization", "Bearer "+t)
		}
	}
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, From(err)
	}
	if res.StatusCode/100 != 2 {
		defer res.Body.Close()
		return nil, fileError(res)
	}
	return res, nil
}

// fileError reads the Connect-style JSON error the files endpoint answers.
func fileError(res *http.Response) error {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if json.Unmarshal(b, &e) != nil || e.Code == "" {
		if res.StatusCode >= 500 {
			return From(connect.NewError(connect.CodeUnavailable, fmt.Errorf("files: HTTP %d", res.StatusCode)))
		}
		return From(connect.NewError(connect.CodeInternal, fmt.Errorf("files: HTTP %d", res.StatusCode)))
	}
	var code connect.Code
	if err := code.UnmarshalText([]byte(e.Code)); err != nil {
		code = connect.CodeUnknown
	}
	ce := connect.NewError(code, errors.New(e.Message))
	ce.Meta().Set(ReasonHeader, res.Header.Get(ReasonHeader))
	return From(ce)
}

// UploadFile sends a file for a conversation (POST /files). The client id
// makes retries safe: the server answers a repeat with the first upload.
func (c *Client) UploadFile(ctx context.Context, conversationID, clientID, name string, body io.Reader, size int64) (*tandemv1.Attachment, error) {
	if size > MaxFileBytes {
		return nil, Errorf(KindInvalid, "Files can be at most 10 MB.")
	}
	ctx, cancel := context.WithTimeout(ctx, fileTimeout)
	defer cancel()
	q := url.Values{"conversation_id": {conversationID}, "client_id": {clientID}, "name": {name}}
	res, err := c.fileRequest(ctx, http.MethodPost, c.base+"/files?"+q.Encode(), body)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return nil, From(err)
	}
	a := &tandemv1.Attachment{}
	if err := protojson.Unmarshal(b, a); err != nil {
		return nil, &Error{Kind: KindInternal, Message: "The server's answer to an upload was not understood.", cause: err}
	}
	return a, nil
}

// DownloadFile saves an attachment (GET /files/{id}) as path, which the
// person chose (a save dialog asks before replacing a file): the content
// goes to a temporary file beside it first, so a failed download leaves
// nothing behind and never half a file.
func (c *Client) DownloadFile(ctx context.Context, id, path string) error {
	ctx, cancel := context.WithTimeout(ctx, fileTimeout)
	defer cancel()
	res, err := c.fileRequest(ctx, http.MethodGet, c.base+"/files/"+url.PathEscape(id), nil)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tandem-download-*")
	if err != nil {
		return Errorf(KindInvalid, "The file cannot be saved there: "+err.Error())
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, io.LimitReader(res.Body, MaxFileBytes+1)); err != nil {
		_ = tmp.Close()
		return From(err)
	}
	if err := tmp.Close(); err != nil {
		return From(err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { // readable, never executable
		return From(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return Errorf(KindInvalid, "The file cannot be saved there: "+err.Error())
	}
	return nil
}

// ReadFile reads an attachment (GET /files/{id}) into memory, with the
// type the server gives it, for what the app shows inline (a voice
// message): at most MaxFileBytes.
func (c *Client) ReadFile(ctx context.Context, id string) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, fileTimeout)
	defer cancel()
	res, err := c.fileRequest(ctx, http.MethodGet, c.base+"/files/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, MaxFileBytes+1))
	if err != nil {
		return nil, "", From(err)
	}
	if len(b) > MaxFileBytes {
		return nil, "", Errorf(KindInvalid, "The file is larger than 10 MB.")
	}
	return b, res.Header.Get("Content-Type"), nil
}
