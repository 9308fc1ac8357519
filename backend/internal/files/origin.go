package files

import "net/http"

// Origin is the files origin's handler, for its own listener
// (TANDEM_FILES_ADDR): GET /files/{id}?t=LINK and nothing else.
//
// It reads no cookie and no Authorization header: the link is the whole
// credential, checked again at every request (signature, expiry, and that
// the principal it names may still read the file). Served apart from the
// app's origin, a file that a browser were somehow made to render runs
// where none of the app's cookies, storage or pages are.
//
// It allows any origin to read an answer (Access-Control-Allow-Origin: *,
// without credentials): whoever holds a link may fetch it anyway, so
// naming the app's and the widget's origins would protect nothing, and a
// credentialless "*" tells browsers never to attach cookies. A GET without
// custom headers needs no preflight. It sets no cookie, ever.
func (h *Handler) Origin() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /files/{id}", h.serveLink)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		mux.ServeHTTP(w, r)
	})
}

// serveLink answers a link of the files origin: the file, if the link is
// sound and its principal may still read the file (its conversation was
// not deleted, its access not lost; an unsent upload is its uploader's).
func (h *Handler) serveLink(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, err := h.links.Check(id, r.URL.Query().Get("t"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, err := h.readable(r.Context(), p, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.send(w, r, f)
}
