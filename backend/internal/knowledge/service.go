package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/page"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Options tune the service.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxIndexes bounds how many workspaces' search indexes are kept in
	// memory (least recently used go first); 0 means 256.
	MaxIndexes int
	// MaxParses bounds how many documents are parsed at once (others wait
	// for a turn, within their deadline); 0 means one per core but one,
	// at least one.
	MaxParses int
	// Worker, when set, parses each document in a process of its own;
	// nil parses in this one.
	Worker *Worker
}

// Service manages knowledge documents and retrieves from them.
type Service struct {
	db      *store.DB
	log     *events.Log
	now     func() time.Time
	indexes *indexes
	parses  chan struct{} // a token per parse running
	worker  *Worker
}

// NewService returns the knowledge service. Close releases its indexes.
func NewService(db *store.DB, log *events.Log, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxIndexes <= 0 {
		opts.MaxIndexes = 256
	}
	if opts.MaxParses <= 0 {
		// A core is left to the API: with a parse on every core, its
		// calls waited behind parses for the scheduler's time slices, and
		// their p99 while a burst of uploads was parsed was three times
		// what it is with one left (TestParsingLeavesAPIResponsive).
		opts.MaxParses = max(1, runtime.GOMAXPROCS(0)-1)
	}
	return &Service{db: db, log: log, now: opts.Now, indexes: newIndexes(db, opts.MaxIndexes),
		parses: make(chan struct{}, opts.MaxParses), worker: opts.Worker}
}

// parse runs Parse once a parse slot is free: parsing is CPU work, and a
// burst of uploads must not take every core. A caller whose context ends
// while waiting gets its error.
func (s *Service) parse(ctx context.Context, format Format, filename string, content []byte) (Parsed, error) {
	select {
	case s.parses <- struct{}{}:
	case <-ctx.Done():
		return Parsed{}, ctx.Err()
	}
	defer func() { <-s.parses }()
	if s.worker != nil {
		return s.worker.Parse(ctx, format, filename, content)
	}
	return Parse(ctx, format, filename, content)
}

// Close releases the in-memory indexes; retrievals fail after it.
func (s *Service) Close() { s.indexes.close() }

// Upload is a new document as uploaded.
type Upload struct {
	// Title is the title to give it; "" takes the document's own title
	// (see Parsed.Title), else the file name.
	Title    string
	Filename string
	// Format is the content's format; Unspecified detects it.
	Format  Format
	Content []byte
	// ClientID, when set, makes retries safe: an upload with a client id
	// already used returns that document if it was the same upload.
	ClientID string
	// SourceURL is where customers can read it: http or https, or "".
	SourceURL string
}

// Upload parses, chunks and stores a document in the workspace.
func (s *Service) Upload(ctx context.Context, actor *access.Principal, workspaceID string, u Upload) (Document, error) {
	filename, err := cleanFilename(u.Filename)
	if err != nil {
		return Document{}, err
	}
	title := strings.TrimSpace(u.Title)
	if title != "" {
		if title, err = cleanTitle(title); err != nil {
			return Document{}, err
		}
	}
	if err := checkContent(u.Content); err != nil {
		return Document{}, err
	}
	sourceURL, err := cleanSourceURL(u.SourceURL)
	if err != nil {
		return Document{}, err
	}
	if u.ClientID != "" && uuid.Validate(u.ClientID) != nil {
		return Document{}, apperr.Invalid("client_id", "must be a UUID")
	}
	fingerprint := uploadFingerprint(u.Title, filename, u.Format, u.Content)
	if u.ClientID != "" {
		if d, done, err := s.retried(ctx, workspaceID, u.ClientID, fingerprint); done {
			return d, err
		}
	}
	parsed, err := s.parse(ctx, u.Format, filename, u.Content)
	if err != nil {
		return Document{}, err
	}
	if title == "" {
		title = parsed.Title
	}
	if title == "" {
		title = truncate(filename, MaxTitle)
	}
	now := store.NowMillis(s.now())
	d := Document{ID: uuid.NewString(), WorkspaceID: workspaceID, Title: title, Filename: filename, Format: parsed.Format,
		SizeBytes: int64(len(u.Content)), ContentSHA256: sha256Hex(u.Content), CreatedBy: actor.UserID,
		CreatedAt: now, UpdatedAt: now, SourceURL: sourceURL}
	chunks := Split(d.ID, parsed.Sections)
	if len(chunks) > MaxChunks {
		return Document{}, errTooManyChunks
	}
	d.ChunkCount, d.FlaggedChunkCount, d.Language = len(chunks), flaggedCount(chunks), documentLanguage(parsed.Sections)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := insertDocument(ctx, tx, &d, u.ClientID, fingerprint); err != nil {
			return err
		}
		if err := insertChunks(ctx, tx, workspaceID, chunks); err != nil {
			return fmt.Errorf("insert knowledge chunks: %w", err)
		}
		if err := bumpRevision(ctx, tx, workspaceID); err != nil {
			return fmt.Errorf("bump knowledge revision: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, events.KnowledgeDocumentCreated, &d)
	})
	if err != nil && u.ClientID != "" && s.db.Dialect.IsUniqueViolation(err) {
		// A concurrent retry stored it first.
		if d, done, err := s.retried(ctx, workspaceID, u.ClientID, fingerprint); done {
			return d, err
		}
	}
	if err != nil {
		return Document{}, fmt.Errorf("upload knowledge document: %w", err)
	}
	return d, nil
}

// retried looks for an earlier upload with the client id: done reports
// that there is one, and then the document is the answer when the upload
// was the same, ErrClientIDReused when it was not.
func (s *Service) retried(ctx context.Context, workspaceID, clientID, fingerprint string) (Document, bool, error) {
	prev, err := documentByClientID(ctx, s.db, workspaceID, clientID)
	switch {
	case store.ErrNoRows(err):
		return Document{}, false, nil
	case err != nil:
		return Document{}, true, fmt.Errorf("find knowledge document by client id: %w", err)
	case prev.UploadSHA256 != fingerprint:
		return Document{}, true, ErrClientIDReused
	}
	return prev.Document, true, nil
}

// List pages through the workspace's documents, newest first.
func (s *Service) List(ctx context.Context, workspaceID string, size int32, token string) ([]Document, string, error) {
	var (
		beforeAt int64
		beforeID string
	)
	more, err := page.Decode(token, &beforeAt, &beforeID)
	if err != nil {
		return nil, "", err
	}
	limit := page.Size(size)
	ds, err := documentsPage(ctx, s.db, workspaceID, !more, beforeAt, beforeID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list knowledge documents: %w", err)
	}
	ds, next := page.Cut(ds, limit, func(d Document) []any { return []any{d.CreatedAt, d.ID} })
	return ds, next, nil
}

// Get returns a document of the workspace with its chunks in order.
func (s *Service) Get(ctx context.Context, workspaceID, id string) (Document, []Chunk, error) {
	d, err := s.document(ctx, s.db, workspaceID, id, "")
	if err != nil {
		return Document{}, nil, err
	}
	cs, err := chunksOf(ctx, s.db, id)
	if err != nil {
		return Document{}, nil, fmt.Errorf("get knowledge chunks: %w", err)
	}
	return d, cs, nil
}

// Replacement is a document's new content.
type Replacement struct {
	// Title is the new title; nil keeps the current one.
	Title    *string
	Filename string
	Format   Format
	Content  []byte
	// SourceURL is the new public address; nil keeps it, "" removes it.
	SourceURL *string
}

// Replace replaces a document's content (and title, if given) and
// re-chunks it; its id stays. A replacement identical to what is stored
// writes nothing and appends no event.
func (s *Service) Replace(ctx context.Context, actor *access.Principal, workspaceID, id string, r Replacement) (Document, error) {
	filename, err := cleanFilename(r.Filename)
	if err != nil {
		return Document{}, err
	}
	var title string
	if r.Title != nil {
		if title, err = cleanTitle(*r.Title); err != nil {
			return Document{}, err
		}
	}
	if err := checkContent(r.Content); err != nil {
		return Document{}, err
	}
	var sourceURL string
	if r.SourceURL != nil {
		if sourceURL, err = cleanSourceURL(*r.SourceURL); err != nil {
			return Document{}, err
		}
	}
	parsed, err := s.parse(ctx, r.Format, filename, r.Content)
	if err != nil {
		return Document{}, err
	}
	chunks := Split(id, parsed.Sections)
	if len(chunks) > MaxChunks {
		return Document{}, errTooManyChunks
	}
	var d Document
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if d, err = s.document(ctx, tx, workspaceID, id, tx.Dialect.ForUpdate()); err != nil {
			return err
		}
		before := d
		if r.Title != nil {
			d.Title = title
		}
		if r.SourceURL != nil {
			d.SourceURL = sourceURL
		}
		d.Filename, d.Format = filename, parsed.Format
		d.SizeBytes, d.ContentSHA256, d.ChunkCount = int64(len(r.Content)), sha256Hex(r.Content), len(chunks)
		d.FlaggedChunkCount, d.Language = flaggedCount(chunks), documentLanguage(parsed.Sections)
		if d == before {
			return nil
		}
		d.UpdatedAt = store.NowMillis(s.now())
		if err := deleteChunks(ctx, tx, id); err != nil {
			return fmt.Errorf("delete knowledge chunks: %w", err)
		}
		if err := insertChunks(ctx, tx, workspaceID, chunks); err != nil {
			return fmt.Errorf("insert knowledge chunks: %w", err)
		}
		if err := updateDocument(ctx, tx, &d); err != nil {
			return fmt.Errorf("update knowledge document: %w", err)
		}
		if err := bumpRevision(ctx, tx, workspaceID); err != nil {
			return fmt.Errorf("bump knowledge revision: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, events.KnowledgeDocumentUpdated, &d)
	})
	return d, err
}

// flaggedCount counts the chunks the AI agent never uses.
func flaggedCount(cs []Chunk) int {
	n := 0
	for _, c := range cs {
		if c.FlagReason != "" {
			n++
		}
	}
	return n
}

// Delete removes a document and its chunks.
func (s *Service) Delete(ctx context.Context, actor *access.Principal, workspaceID, id string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		d, err := s.document(ctx, tx, workspaceID, id, tx.Dialect.ForUpdate())
		if err != nil {
			return err
		}
		if err := deleteDocument(ctx, tx, id); err != nil {
			return fmt.Errorf("delete knowledge document: %w", err)
		}
		if err := bumpRevision(ctx, tx, workspaceID); err != nil {
			return fmt.Errorf("bump knowledge revision: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, events.KnowledgeDocumentDeleted, &d)
	})
}

// Search checks a question and retrieves the best chunks for it, as the
// AI agent would: at most limit (0 means DefaultHits, at most MaxHits).
func (s *Service) Search(ctx context.Context, workspaceID, query string, limit int) ([]Hit, error) {
	query = strings.TrimSpace(query)
	switch {
	case query == "":
		return nil, apperr.Invalid("query", "must not be blank")
	case !utf8.ValidString(query):
		return nil, apperr.Invalid("query", "must be UTF-8 text")
	case utf8.RuneCountInString(query) > MaxQuery:
		return nil, apperr.Invalid("query", "must be at most 1000 characters")
	case limit < 0 || limit > MaxHits:
		return nil, apperr.Invalid("limit", "must be 0 to 20")
	}
	res, err := s.Retrieve(ctx, workspaceID, Query{Text: query, Synonyms: DefaultSynonyms}, limit)
	return res.Hits, err
}

// maxRetrieve bounds k in Retrieve.
const maxRetrieve = 50

// Retrieve returns the k chunks of the workspace that best answer the
// query (k <= 0 means DefaultHits; at most 50), best first: BM25 over
// their text, headings, FAQ questions and document title, in each
// passage's language, picks the candidates, which are then ordered by how
// much of what the question asks they cover (see Hit.Relevance). Flagged
// chunks are never returned. Only the workspace's own chunks can be
// returned: each workspace has an index of its own. The index is rebuilt
// from the database whenever the workspace's knowledge changed since it
// was built, on this replica or another. Retrieve does no authorization:
// the caller (the AI agent acting in a conversation of the workspace) has
// established it.
func (s *Service) Retrieve(ctx context.Context, workspaceID string, q Query, k int) (Result, error) {
	if k <= 0 {
		k = DefaultHits
	}
	k = min(k, maxRetrieve)
	q.Text = truncate(strings.TrimSpace(cleanText(q.Text)), MaxQuery)
	q.Context = truncate(strings.TrimSpace(cleanText(q.Context)), MaxQuery)
	if q.Text == "" {
		return Result{}, nil
	}
	return s.indexes.retrieve(ctx, workspaceID, q, k)
}

// WorkspaceOf resolves a document id to its workspace, for authorization.
func (s *Service) WorkspaceOf(ctx context.Context, id string) (string, error) {
	d, err := documentByID(ctx, s.db, id, "")
	if store.ErrNoRows(err) {
		return "", apperr.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("resolve knowledge document: %w", err)
	}
	return d.WorkspaceID, nil
}

// document loads a document of the workspace; any other is not found.
func (s *Service) document(ctx context.Context, q store.Querier, workspaceID, id, lock string) (Document, error) {
	d, err := documentByID(ctx, q, id, lock)
	if store.ErrNoRows(err) || (err == nil && d.WorkspaceID != workspaceID) {
		return Document{}, apperr.ErrNotFound
	}
	if err != nil {
		return Document{}, fmt.Errorf("get knowledge document: %w", err)
	}
	return d, nil
}

// appendEvent records a change to d in tx, for admins' eyes. The fields go
// under "data", where Watch streams pass them on to clients.
func (s *Service) appendEvent(ctx context.Context, tx *store.Tx, actor *access.Principal, typ events.Type, d *Document) error {
	payload, err := json.Marshal(map[string]any{"data": map[string]string{"document_id": d.ID, "title": d.Title}})
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	kind, id := actor.Actor()
	return s.log.Append(ctx, tx, &events.Event{WorkspaceID: d.WorkspaceID, Type: typ, ActorKind: kind, ActorID: id,
		Visibility: events.Admins, Payload: payload})
}

// cleanTitle trims a title and checks it is 1 to 200 characters of text.
func cleanTitle(t string) (string, error) {
	t = strings.TrimSpace(t)
	switch {
	case t == "":
		return "", apperr.Invalid("title", "must not be blank")
	case !utf8.ValidString(t):
		return "", apperr.Invalid("title", "must be UTF-8 text")
	case utf8.RuneCountInString(t) > MaxTitle:
		return "", apperr.Invalid("title", "must be at most 200 characters")
	case collapseSpaces(cleanText(t)) != t:
		return "", apperr.Invalid("title", "must be one line of text")
	}
	return t, nil
}

// cleanSourceURL checks a document's public address: empty, or an absolute
// http or https URL of at most 2048 bytes (never javascript: and the like,
// since the widget links to it).
func cleanSourceURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	switch {
	case len(raw) > 2048:
		return "", apperr.Invalid("source_url", "must be at most 2048 bytes")
	case err != nil, u.Host == "", u.Scheme != "http" && u.Scheme != "https", u.User != nil:
		return "", apperr.Invalid("source_url", "must be an http or https URL")
	}
	return u.String(), nil
}

// cleanFilename trims a file name and checks it is 1 to 255 characters of
// printable text.
func cleanFilename(f string) (string, error) {
	f = strings.TrimSpace(f)
	switch {
	case f == "":
		return "", apperr.Invalid("filename", "must not be blank")
	case !utf8.ValidString(f):
		return "", apperr.Invalid("filename", "must be UTF-8 text")
	case utf8.RuneCountInString(f) > MaxFilename:
		return "", apperr.Invalid("filename", "must be at most 255 characters")
	case strings.ContainsAny(cleanText(f), "\n\t") || cleanText(f) != f:
		return "", apperr.Invalid("filename", "must be printable text")
	}
	return f, nil
}

func checkContent(c []byte) error {
	switch {
	case len(c) == 0:
		return apperr.Invalid("content", "must not be empty")
	case len(c) > MaxContent:
		return apperr.Invalid("content", "must be at most 8 MiB")
	}
	return nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// uploadFingerprint identifies an upload request: its title as asked,
// file name, format and content, each length-prefixed so that no two
// different requests hash alike by shifting bytes between fields.
func uploadFingerprint(title, filename string, format Format, content []byte) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(strings.TrimSpace(title)), []byte(filename), []byte(format), content} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}
