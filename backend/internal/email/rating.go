package email

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
)

// RatingConversations is what the rating page needs of the conversation
// service.
type RatingConversations interface {
	WorkspaceOf(ctx context.Context, id string) (string, error)
	Get(ctx context.Context, workspaceID, id string) (conversation.Conversation, error)
	Rate(ctx context.Context, p *access.Principal, workspaceID, id string, rating int, comment string) (conversation.Conversation, error)
}

// maxComment is the longest comment a rating keeps, in characters (as
// WidgetService.RateConversation).
const maxComment = 2000

// RatingPage is where the links of a rating mail lead: GET /rate/{token}
// shows the question with the rating the link named chosen and a box for a
// comment; only sending the form (POST) records the rating, so that a mail
// scanner opening the links rates nothing. The token (RatingToken) is the
// customer's credential for their conversation and nothing else; the page
// keeps it out of referrers and frames.
type RatingPage struct {
	convs  RatingConversations
	secret []byte
	logger *slog.Logger
}

// NewRatingPage returns the rating page; secret signs the tokens.
func NewRatingPage(convs RatingConversations, secret []byte, logger *slog.Logger) *RatingPage {
	return &RatingPage{convs: convs, secret: secret, logger: logger}
}

// Register mounts the page on mux.
func (p *RatingPage) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /rate/{token}", p.show)
	mux.HandleFunc("POST /rate/{token}", p.rate)
}

// ratingView is what the page template shows.
type ratingView struct {
	Title, Message string
	Form           bool
	Chosen         int
	Choices        []int
	Labels         map[int]string
}

// ratingTemplate is the page, parsed once.
//
//nolint:gochecknoglobals // read-only after init
var ratingTemplate = template.Must(template.New("rate").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
fieldset{border:0;padding:0;margin:1rem 0;display:flex;gap:.5rem;flex-wrap:wrap}
label.choice{border:1px solid #d1d5db;border-radius:.5rem;padding:.5rem .75rem;cursor:pointer}
textarea{width:100%;min-height:6rem;font:inherit}
button{font:inherit;padding:.5rem 1.25rem;border:0;border-radius:.5rem;background:#2563eb;color:#fff;cursor:pointer}
</style></head><body>
<h1>{{.Title}}</h1>
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .Form}}<form method="post">
<fieldset><legend>Your rating</legend>
{{range .Choices}}<label class="choice"><input type="radio" name="rating" value="{{.}}" required{{if eq . $.Chosen}} checked{{end}}> {{index $.Labels .}}</label>
{{end}}</fieldset>
<p><label for="comment">Anything you want to tell us? (optional)</label><br>
<textarea id="comment" name="comment" maxlength="2000"></textarea></p>
<button type="submit">Send my rating</button>
</form>{{end}}
</body></html>
`))

var ratingLabels = map[int]string{1: "1 · Bad", 2: "2 · Poor", 3: "3 · OK", 4: "4 · Good", 5: "5 · Great"} //nolint:gochecknoglobals // constant table

// show is the page a link opens: the form, with the link's rating chosen.
func (p *RatingPage) show(w http.ResponseWriter, r *http.Request) {
	conv, ok := p.conversation(w, r)
	if !ok {
		return
	}
	chosen, _ := strconv.Atoi(r.URL.Query().Get("rating"))
	switch {
	case conv.CSATRating != 0:
		p.write(w, http.StatusOK, ratingView{Title: "Thanks!", Message: "You already rated this conversation."})
	case conv.State != conversation.StateClosed:
		p.write(w, http.StatusOK, ratingView{Title: "This conversation is open again", Message: "You can rate it once it is closed."})
	default:
		p.write(w, http.StatusOK, ratingView{Title: "How did we do?", Form: true, Chosen: chosen, Choices: []int{1, 2, 3, 4, 5},
			Labels: ratingLabels})
	}
}

// rate records the rating the form sent, as the conversation's customer.
func (p *RatingPage) rate(w http.ResponseWriter, r *http.Request) {
	conv, ok := p.conversation(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	rating, err := strconv.Atoi(r.PostFormValue("rating"))
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	if err != nil || rating < 1 || rating > 5 || !utf8.ValidString(comment) || utf8.RuneCountInString(comment) > maxComment {
		p.write(w, http.StatusBadRequest, ratingView{Title: "That did not work",
			Message: "Choose a rating from 1 to 5 (and keep the comment under 2,000 characters)."})
		return
	}
	customer := &access.Principal{Kind: access.KindVisitor, VisitorID: conv.ContactID, WorkspaceID: conv.WorkspaceID}
	_, err = p.convs.Rate(r.Context(), customer, conv.WorkspaceID, conv.ID, rating, comment)
	switch {
	case err == nil:
		p.write(w, http.StatusOK, ratingView{Title: "Thanks for your rating!", Message: "It helps the team get better."})
	case apperr.Is(err, apperr.AlreadyExists):
		p.write(w, http.StatusConflict, ratingView{Title: "Thanks!", Message: "You already rated this conversation."})
	case apperr.Is(err, apperr.FailedPrecondition):
		msg := "It can be rated only after it is closed, for a week."
		var e *apperr.Error
		if errors.As(err, &e) {
			msg = e.Public
		}
		p.write(w, http.StatusConflict, ratingView{Title: "This conversation cannot be rated now", Message: msg})
	default:
		p.logger.Error("rating page", "conversation_id", conv.ID, "err", err)
		p.write(w, http.StatusInternalServerError, ratingView{Title: "Something went wrong", Message: "Please try again later."})
	}
}

// conversation reads the token of the request's path; a token that is not
// one, or whose conversation is gone, gets a 404 page.
func (p *RatingPage) conversation(w http.ResponseWriter, r *http.Request) (conversation.Conversation, bool) {
	notFound := func() (conversation.Conversation, bool) {
		p.write(w, http.StatusNotFound, ratingView{Title: "Link not found", Message: "This rating link is not valid."})
		return conversation.Conversation{}, false
	}
	id, ok := ConversationOfRating(p.secret, r.PathValue("token"))
	if !ok {
		return notFound()
	}
	ws, err := p.convs.WorkspaceOf(r.Context(), id)
	if err == nil {
		var conv conversation.Conversation
		if conv, err = p.convs.Get(r.Context(), ws, id); err == nil {
			return conv, true
		}
	}
	if apperr.Is(err, apperr.NotFound) {
		return notFound()
	}
	p.logger.Error("rating page", "conversation_id", id, "err", err)
	p.write(w, http.StatusInternalServerError, ratingView{Title: "Something went wrong", Message: "Please try again later."})
	return conversation.Conversation{}, false
}

// write renders the page (writePage).
func (p *RatingPage) write(w http.ResponseWriter, status int, v ratingView) {
	writePage(w, status, ratingTemplate, v, p.logger, "rating page")
}

// writePage renders one of the pages mail links open: it runs no script,
// loads nothing, is shown in no frame and sends no referrer (its address
// holds the link's token).
func writePage(w http.ResponseWriter, status int, tmpl *template.Template, v any, logger *slog.Logger, what string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := tmpl.Execute(w, v); err != nil {
		logger.Warn(what, "err", err)
	}
}
