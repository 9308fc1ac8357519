package email

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// ConfirmPage is where a transcript confirmation mail's link leads:
// GET /transcripts/confirm?token=… shows one button, and only sending its
// form (POST) confirms the address and sends the copy, so that a mail
// scanner opening the link confirms nothing. The page keeps the token out
// of referrers and frames, as the rating page does.
type ConfirmPage struct {
	sender *Sender
	logger *slog.Logger
}

// NewConfirmPage returns the confirmation page of the sender's links.
func NewConfirmPage(sender *Sender, logger *slog.Logger) *ConfirmPage {
	return &ConfirmPage{sender: sender, logger: logger}
}

// Register mounts the page on mux.
func (p *ConfirmPage) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /transcripts/confirm", p.show)
	mux.HandleFunc("POST /transcripts/confirm", p.confirm)
}

// confirmView is what the page template shows.
type confirmView struct {
	Title, Message, Token string
	Form                  bool
}

// confirmTemplate is the page, parsed once.
//
//nolint:gochecknoglobals // read-only after init
var confirmTemplate = template.Must(template.New("confirm").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
button{font:inherit;padding:.5rem 1.25rem;border:0;border-radius:.5rem;background:#2563eb;color:#fff;cursor:pointer}
</style></head><body>
<h1>{{.Title}}</h1>
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .Form}}<form method="post" action="/transcripts/confirm">
<input type="hidden" name="token" value="{{.Token}}">
<button type="submit">Confirm and send me the copy</button>
</form>{{end}}
</body></html>
`))

// show is the page the link opens: the button, or why the link is done.
func (p *ConfirmPage) show(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if _, err := p.sender.confirmationLive(r.Context(), token); err != nil {
		p.refuse(w, err)
		return
	}
	p.write(w, http.StatusOK, confirmView{Title: "Confirm your email address", Form: true, Token: token,
		Message: "Confirm this address to receive the copy of your chat you asked for."})
}

// confirm uses the token the form sent.
func (p *ConfirmPage) confirm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	err := p.sender.ConfirmTranscript(r.Context(), r.PostFormValue("token"))
	switch {
	case err == nil:
		p.write(w, http.StatusOK, confirmView{Title: "Address confirmed", Message: "The copy of your chat is on its way."})
	case errors.Is(err, ErrTooManyCopies) || errors.Is(err, ErrAddressFlooded):
		p.write(w, http.StatusTooManyRequests, confirmView{Title: "Address confirmed",
			Message: "The copy cannot be sent now: " + publicOf(err)})
	default:
		p.refuse(w, err)
	}
}

// refuse shows why a link does nothing: unknown, used or expired.
func (p *ConfirmPage) refuse(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errLinkUnknown):
		p.write(w, http.StatusNotFound, confirmView{Title: "Link not found", Message: "This confirmation link is not valid."})
	case errors.Is(err, errLinkUsed):
		p.write(w, http.StatusGone, confirmView{Title: "Link already used",
			Message: "This address is confirmed already. To get another copy, ask for it in the chat."})
	case errors.Is(err, errLinkExpired):
		p.write(w, http.StatusGone, confirmView{Title: "Link expired",
			Message: "This confirmation link has expired. Ask for the copy again in the chat to get a new one."})
	default:
		p.logger.Error("transcript confirmation page", "err", err)
		p.write(w, http.StatusInternalServerError, confirmView{Title: "Something went wrong", Message: "Please try again later."})
	}
}

// publicOf is an error's message for people.
func publicOf(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Public
	}
	return "try again later."
}

// write renders the page as the rating page is (writePage).
func (p *ConfirmPage) write(w http.ResponseWriter, status int, v confirmView) {
	writePage(w, status, confirmTemplate, v, p.logger, "transcript confirmation page")
}
