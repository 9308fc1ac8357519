package files

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

// Handler serves, on the API's origin, POST /files, GET /files/{id} and
// GET /files/{id}/link, and, on the files origin (Origin), the files
// themselves by signed link. Callers of the API's origin authenticate with
// the same credentials as the API; uploads, downloads and links are
// authorized against the file's conversation through the same authorizer
// as every RPC.
type Handler struct {
	svc    *Service
	authn  access.Authenticator
	authz  *access.Authorizer
	errors *connect.ErrorWriter
	onErr  func(r *http.Request, err error)
	policy Policy
	links  *Links
}

// NewHandler returns the files HTTP handler. links signs and checks the
// links of the files origin; onErr sees every error before it is answered
// (for logging).
func NewHandler(svc *Service, links *Links, authn access.Authenticator, authz *access.Authorizer, onErr func(*http.Request, error)) *Handler {
	return &Handler{svc: svc, links: links, authn: authn, authz: authz, errors: connect.NewErrorWriter(), onErr: onErr}
}

// ErrCookieDownload refuses a download on the API's origin authenticated
// by the web app's session cookie.
var ErrCookieDownload = apperr.New(apperr.PermissionDenied,
	"browsers download files from the files origin: ask GET /files/{id}/link for a link (this route takes a bearer token only)")

// Register mounts the handler's routes on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /files", h.upload)
	mux.HandleFunc("GET /files/{id}", h.download)
	mux.HandleFunc("GET /files/{id}/link", h.link)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.onErr != nil {
		h.onErr(r, err)
	}
	cerr, _ := apperr.ToConnect(err)
	if errors.Is(err, ErrTooBig) {
		writeTooLarge(w, cerr)
		return
	}
	_ = h.errors.Write(w, r, cerr)
}

// writeTooLarge answers 413 Content Too Large with the error as JSON in the
// Connect shape every other answer of the files routes has, so that
// clients read its code and message the same way.
func writeTooLarge(w http.ResponseWriter, cerr *connect.Error) {
	body, _ := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{cerr.Code().String(), cerr.Message()})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	_, _ = w.Write(body)
}

// principal authenticates the request; every files route needs one.
func (h *Handler) principal(r *http.Request) (*access.Principal, error) {
	p, err := h.authn.AuthenticateRequest(r.Context(), r.Header)
	if err == nil && p == nil {
		err = access.ErrUnauthenticated
	}
	return p, err
}

// conversationWorkspace authorizes the action on the conversation and
// returns its workspace. Visitors act on their own conversations only.
func (h *Handler) conversationWorkspace(ctx context.Context, p *access.Principal, conversationID, action string) (string, error) {
	if p.Kind == access.KindVisitor {
		if err := h.authz.AuthorizeVisitor(ctx, p, "conversation", conversationID); err != nil {
			return "", err
		}
		return p.WorkspaceID, nil
	}
	scope, err := h.authz.Authorize(ctx, p, "conversation", conversationID, action)
	if err != nil {
		return "", err
	}
	return scope.WorkspaceID, nil
}

func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	conversationID, clientID, name := q.Get("conversation_id"), q.Get("client_id"), q.Get("name")
	if err := uuid.Validate(conversationID); err != nil {
		h.fail(w, r, apperr.Invalid("conversation_id", "must be a UUID"))
		return
	}
	if err := uuid.Validate(clientID); err != nil {
		h.fail(w, r, apperr.Invalid("client_id", "must be a UUID made by the client, the same on retries"))
		return
	}
	if err := CheckName(name); err != nil {
		h.fail(w, r, err)
		return
	}
	if r.ContentLength > MaxSize {
		w.Header().Set("Connection", "close") // the body is not read
		h.fail(w, r, ErrTooBig)
		return
	}
	workspaceID, err := h.conversationWorkspace(r.Context(), p, conversationID, "reply")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.admit(r.Context(), p, workspaceID, conversationID); err != nil {
		w.Header().Set("Connection", "close") // the body is not read
		h.fail(w, r, err)
		return
	}
	kind, id := p.Actor()
	f, err := h.svc.Put(r.Context(), Upload{WorkspaceID: workspaceID, ConversationID: conversationID,
		UploaderKind: kind, UploaderID: id, ClientID: clientID, Name: name}, r.Body)
	if err != nil {
		if errors.Is(err, ErrTooBig) || apperr.KindOf(err) == apperr.ResourceExhausted {
			w.Header().Set("Connection", "close") // the rest of the body is not read
		}
		h.fail(w, r, err)
		return
	}
	body, err := protojson.Marshal(conversation.AttachmentToProto(f.Attachment()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// download serves GET /files/{id} on the API's origin to callers with a
// bearer token (the desktop app, API clients). A browser's cookie session
// is refused here: browsers get a link (GET /files/{id}/link) and fetch the
// file from the files origin, where no cookie of the app is sent and no
// page of the app's origin can be made of the file. A bearer token is never
// sent by a browser on its own, so this route gives nothing to a page that
// navigates to it, frames it or embeds it.
func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") == "" {
		err := access.ErrUnauthenticated
		if access.SessionFromCookie(r.Header) != "" {
			err = ErrCookieDownload
		}
		h.fail(w, r, err)
		return
	}
	p, err := h.principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := h.readable(r.Context(), p, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.send(w, r, f)
}

// link serves GET /files/{id}/link on the API's origin: the same
// authentication (bearer, or cookie with its CSRF token) and the same
// checks as a download, answered with a signed URL of the file on the
// files origin.
func (h *Handler) link(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := h.readable(r.Context(), p, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, _ := json.Marshal(h.links.Issue(f.ID, p)) // strings and a time always encode
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(body)
}

// readable returns the file when p may read it: it exists, p may read its
// conversation, and, unsent, p uploaded it.
func (h *Handler) readable(ctx context.Context, p *access.Principal, id string) (File, error) {
	f, err := h.svc.Get(ctx, id)
	if err != nil {
		return File{}, err
	}
	if _, err := h.conversationWorkspace(ctx, p, f.ConversationID, "read"); err != nil {
		return File{}, err
	}
	// An unsent upload is its uploader's alone.
	if kind, id := p.Actor(); !f.Sent() && (kind != f.UploaderKind || id != f.UploaderID) {
		return File{}, apperr.ErrNotFound
	}
	return f, nil
}

// send answers with the file's bytes as an attachment of its sniffed type,
// which no browser renders as a page: sandboxed, never sniffed, never
// cached, and never embedded by another origin's page.
func (h *Handler) send(w http.ResponseWriter, r *http.Request, f File) {
	body, err := h.svc.Open(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer func() { _ = body.Close() }() // read to the end, or the client went away
	hd := w.Header()
	hd.Set("Content-Type", f.ContentType)
	hd.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	hd.Set("Content-Disposition", contentDisposition(f.ServedName()))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	hd.Set("Cache-Control", "private, no-store")
	// CORP binds only no-cors loads (img, script, object, a frame's
	// document under COEP): no other origin embeds a file. The app's and
	// the widget's fetch of a link is a CORS request, which CORP leaves
	// to the Access-Control headers of the files origin (origin.go).
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	_, _ = io.Copy(w, body)
}
