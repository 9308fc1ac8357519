package knowledge

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	bleveindex "github.com/blevesearch/bleve_index_api"
	"golang.org/x/sync/singleflight"

	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// Field boosts: a question's words in a document's title, or in the
// headings a passage sits under, say more than the same words in its text.
// An FAQ question a passage answers is the strongest match of all; a
// misspelt word (one edit away) still counts, for much less.
const (
	boostText     = 1.0
	boostHeading  = 1.5
	boostTitle    = 1.5
	boostQuestion = 3.0
	boostFuzzy    = 0.3
)

// fields are the indexed fields of a passage; each is indexed once per
// language as "<field>_<language>", with that language's analyzer.
var fields = []string{"text", "heading", "title", "question"} //nolint:gochecknoglobals // read-only table

// indexBatch is the number of chunks indexed per bleve batch.
const indexBatch = 1000

// errClosed answers a retrieval after Close.
var errClosed = errors.New("knowledge indexes are closed")

// indexes holds the in-memory search index of the most recently used
// workspaces (at most max), each built from one workspace's stored chunks
// and stamped with the knowledge revision it reflects. An index is never
// updated in place: a newer revision means a new index, built once however
// many retrievals ask for it at the same time.
type indexes struct {
	db     *store.DB
	max    int
	flight singleflight.Group
	builds atomic.Int64 // indexes built, for tests

	mu     sync.Mutex
	recent *list.List // of *wsIndex, most recently used first
	by     map[string]*list.Element
	closed bool
}

// wsIndex is one workspace's index. Searches hold a reference; an index
// replaced or evicted is closed when its last search ends.
type wsIndex struct {
	workspaceID string
	revision    int64
	idx         bleve.Index
	chunks      map[string]Hit        // by chunk id, Score unset
	stats       map[string]*termStats // by language: what its passages say

	refs    int
	retired bool
}

func newIndexes(db *store.DB, maxIndexes int) *indexes {
	return &indexes{db: db, max: maxIndexes, recent: list.New(), by: map[string]*list.Element{}}
}

// retrieve returns the k best chunks of the workspace for the query, from
// an index at least as new as the workspace's stored revision: BM25 picks
// the candidates, and rerank orders them by what they cover of the
// question.
func (x *indexes) retrieve(ctx context.Context, workspaceID string, q Query, k int) (Result, error) {
	// The revision is read before anything else: an index built after this
	// read reflects at least this revision.
	rev, err := revisionOf(ctx, x.db, workspaceID)
	if err != nil {
		return Result{}, fmt.Errorf("read knowledge revision: %w", err)
	}
	if rev == 0 {
		return Result{}, nil // the workspace never had a document
	}
	w, err := x.get(ctx, workspaceID, rev)
	if err != nil {
		return Result{}, err
	}
	defer x.release(w)
	res := Result{Languages: slices.Sorted(maps.Keys(w.stats))}
	asks := map[string]asked{}
	var extra []string // synonyms the question used, the passages' words for its typos ("retrun")
	for _, lang := range res.Languages {
		a := w.stats[lang].ask(q)
		asks[lang] = a
		extra = append(extra, a.search...)
	}
	text := q.Text
	if q.Context != "" {
		text += "\n" + q.Context
	}
	hits, err := w.search(ctx, text, strings.Join(extra, " "), max(k, candidates))
	if err != nil {
		return Result{}, err
	}
	hits = w.rerank(asks, hits)
	res.Hits = hits[:min(k, len(hits))]
	return res, nil
}

// maxBuildRounds bounds how often one retrieval waits for a build: more
// would mean indexes evicted as fast as they are built.
const maxBuildRounds = 8

// get returns a held index of the workspace at revision rev or newer,
// building one if there is none. Concurrent callers share one build.
func (x *indexes) get(ctx context.Context, workspaceID string, rev int64) (*wsIndex, error) {
	for range maxBuildRounds {
		if w, err := x.acquire(workspaceID, rev); w != nil || err != nil {
			return w, err
		}
		// A build already under way may have read an older revision than
		// rev; then the loop joins (or starts) a later one.
		_, err, _ := x.flight.Do(workspaceID, func() (any, error) {
			if x.fresh(workspaceID, rev) {
				return nil, nil
			}
			w, err := x.build(ctx, workspaceID)
			if err != nil {
				return nil, err
			}
			x.install(w)
			return nil, nil
		})
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			// The caller that led the build gave up; this one still waits.
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("knowledge index of %s: not current after %d builds", workspaceID, maxBuildRounds)
}

// acquire holds the workspace's index if it is at revision rev or newer.
func (x *indexes) acquire(workspaceID string, rev int64) (*wsIndex, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil, errClosed
	}
	el := x.by[workspaceID]
	if el == nil {
		return nil, nil
	}
	w := el.Value.(*wsIndex)
	if w.revision < rev {
		return nil, nil
	}
	x.recent.MoveToFront(el)
	w.refs++
	return w, nil
}

// fresh reports whether the workspace's index is at revision rev or newer.
func (x *indexes) fresh(workspaceID string, rev int64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	el := x.by[workspaceID]
	return el != nil && el.Value.(*wsIndex).revision >= rev
}

// release lets go of a held index.
func (x *indexes) release(w *wsIndex) {
	x.mu.Lock()
	w.refs--
	closeIt := w.retired && w.refs == 0
	x.mu.Unlock()
	if closeIt {
		_ = w.idx.Close()
	}
}

// install makes w the workspace's index, retiring the one it replaces and,
// past the limit, the least recently used ones.
func (x *indexes) install(w *wsIndex) {
	var done []*wsIndex
	x.mu.Lock()
	if x.closed {
		done = append(done, w)
	} else {
		el := x.by[w.workspaceID]
		switch {
		case el != nil && el.Value.(*wsIndex).revision >= w.revision:
			done = append(done, w) // never replace a newer index with an older one
		default:
			if el != nil {
				done = append(done, x.retire(el)...)
			}
			x.by[w.workspaceID] = x.recent.PushFront(w)
			for x.recent.Len() > x.max {
				done = append(done, x.retire(x.recent.Back())...)
			}
		}
	}
	x.mu.Unlock()
	for _, d := range done {
		_ = d.idx.Close()
	}
}

// retire removes an index from the cache and returns it if nobody holds
// it, for the caller to close outside the lock; otherwise its last holder
// closes it.
func (x *indexes) retire(el *list.Element) []*wsIndex {
	w := x.recent.Remove(el).(*wsIndex)
	delete(x.by, w.workspaceID)
	w.retired = true
	if w.refs == 0 {
		return []*wsIndex{w}
	}
	return nil
}

// close retires every index; retrievals fail from then on.
func (x *indexes) close() {
	var done []*wsIndex
	x.mu.Lock()
	x.closed = true
	for x.recent.Len() > 0 {
		done = append(done, x.retire(x.recent.Front())...)
	}
	x.mu.Unlock()
	for _, d := range done {
		_ = d.idx.Close()
	}
}

// build makes a workspace's index from its stored chunks. The revision is
// read first, so the chunks read after it are at least that new.
func (x *indexes) build(ctx context.Context, workspaceID string) (*wsIndex, error) {
	x.builds.Add(1)
	rev, err := revisionOf(ctx, x.db, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("read knowledge revision: %w", err)
	}
	// An empty path keeps a scorch index in memory only; scorch is the
	// index type that scores with BM25.
	idx, err := bleve.NewUsing("", indexMapping(), scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("new knowledge index: %w", err)
	}
	w := &wsIndex{workspaceID: workspaceID, revision: rev, idx: idx, chunks: map[string]Hit{}, stats: map[string]*termStats{}}
	batch := idx.NewBatch()
	err = eachIndexRow(ctx, x.db, workspaceID, func(r indexRow) error {
		if r.FlagReason != "" || FlagReason(r.Text) != "" {
			return nil // never retrieved: never quoted, never given to a model
		}
		lang := r.Language
		if lang == "" { // stored before languages were told
			lang = DetectLanguage(r.Text)
		}
		lang = indexLanguage(lang)
		id := ChunkID(r.DocumentID, r.Position)
		hit := Hit{ChunkID: id, DocumentID: r.DocumentID, Position: r.Position, Title: r.Title, Heading: r.Heading,
			Text: r.Text, URL: r.URL, Language: lang, Question: questionOf(r.Heading)}
		w.chunks[id] = hit
		st := w.stats[lang]
		if st == nil {
			st = newTermStats(idx.Mapping().AnalyzerNamed(analyzers[lang]))
			w.stats[lang] = st
		}
		st.add(hit)
		doc := map[string]any{}
		for field, v := range map[string]string{"text": r.Text, "heading": r.Heading, "title": r.Title, "question": hit.Question} {
			doc[field+"_"+lang] = v
		}
		if err := batch.Index(id, doc); err != nil {
			return err
		}
		if batch.Size() >= indexBatch {
			if err := idx.Batch(batch); err != nil {
				return err
			}
			batch.Reset()
		}
		return nil
	})
	if err == nil && batch.Size() > 0 {
		err = idx.Batch(batch)
	}
	if err != nil {
		_ = idx.Close()
		return nil, fmt.Errorf("build knowledge index of %s: %w", workspaceID, err)
	}
	return w, nil
}

// indexMapping indexes a chunk's text, heading, title and FAQ question
// with the analyzer of its language (lower case, stop words, stemming) and
// ranks with BM25. Nothing is stored in the index: hits are looked up in
// the chunk map.
func indexMapping() mapping.IndexMapping {
	doc := bleve.NewDocumentStaticMapping()
	for lang, analyzer := range analyzers {
		for _, name := range fields {
			f := bleve.NewTextFieldMapping()
			f.Analyzer = analyzer
			f.Store = false
			f.IncludeInAll = false
			f.IncludeTermVectors = false
			f.DocValues = false
			doc.AddFieldMappingsAt(name+"_"+lang, f)
		}
	}
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = en.AnalyzerName
	m.ScoringModel = bleveindex.BM25Scoring
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}

// questionOf is the FAQ question a passage answers: the innermost part of
// its heading path when that asks a question, else "".
func questionOf(heading string) string {
	parts := strings.Split(heading, headingSeparator)
	if last := parts[len(parts)-1]; questionLine(last) {
		return last
	}
	return ""
}

// search ranks the index's chunks for the query text: best first, ties in
// chunk id order, so the same chunks and query give the same answer
// everywhere. The text is matched in every language the workspace's
// passages are written in, each with its own analyzer, exactly and one
// edit away (typos); extra, when given, are more words to look for (the
// synonyms of the query's), weighed less.
func (w *wsIndex) search(ctx context.Context, text, extra string, k int) ([]Hit, error) {
	var qs []query.Query
	match := func(text, field string, boost float64, fuzzy int) {
		q := bleve.NewMatchQuery(text)
		q.SetField(field)
		q.SetBoost(boost)
		q.SetFuzziness(fuzzy)
		qs = append(qs, q)
	}
	for _, lang := range slices.Sorted(maps.Keys(w.stats)) {
		match(text, "text_"+lang, boostText, 0)
		match(text, "heading_"+lang, boostHeading, 0)
		match(text, "title_"+lang, boostTitle, 0)
		match(text, "question_"+lang, boostQuestion, 0)
		match(text, "text_"+lang, boostFuzzy, 1)
		match(text, "question_"+lang, boostFuzzy, 1)
		if extra != "" {
			match(extra, "text_"+lang, boostFuzzy, 0)
			match(extra, "heading_"+lang, boostFuzzy, 0)
		}
	}
	if len(qs) == 0 {
		return nil, nil
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDisjunctionQuery(qs...), k, 0, false)
	req.SortBy([]string{"-_score", "_id"})
	res, err := w.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search knowledge: %w", err)
	}
	hits := make([]Hit, 0, len(res.Hits))
	for _, h := range res.Hits {
		hit, ok := w.chunks[h.ID]
		if !ok {
			continue
		}
		hit.Score = h.Score
		hits = append(hits, hit)
	}
	return hits, nil
}
