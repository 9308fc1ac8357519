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

// Handler serves POST /files and GET /files/{id}. Callers authenticate with
// the same bearer credentials as the API; uploads and downloads are
// authorized against the file's conversation through the same authorizer as
// every RPC.
type Handler struct {
	svc    *Service
	authn  access.Authenticator
	authz  *access.Authorizer
	errors *connect.ErrorWriter
	onErr  func(r *http.Request, err error)
	policy Policy
}

// NewHandler returns the files HTTP handler. onErr sees every error before
// it is answered (for logging).
func NewHandler(svc *Service, authn access.Authenticator, authz *access.Authorizer, onErr func(*http.Request, error)) *Handler {
	return &Handler{svc: svc, authn: authn, authz: authz, errors: connect.NewErrorWriter(), onErr: onErr}
}

// Register mounts the handler's routes on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /files", h.upload)
	mux.HandleFunc("GET /files/{id}", h.download)
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

func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := h.svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.conversationWorkspace(r.Context(), p, f.ConversationID, "read"); err != nil {
		h.fail(w, r, err)
		return
	}
	// An unsent upload is its uploader's alone.
	if kind, id := p.Actor(); !f.Sent() && (kind != f.UploaderKind || id != f.UploaderID) {
		h.fail(w, r, apperr.ErrNotFound)
		return
	}
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
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	_, _ = io.Copy(w, body)
}
