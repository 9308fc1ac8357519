// Package knowledge owns a workspace's knowledge base: the documents its AI
// agent answers from. An upload (plain text, Markdown, HTML or PDF) is parsed
// to its visible text only (see Parse), cut into chunks along its headings
// and paragraphs (see Chunk), and stored as those chunks; the uploaded bytes
// are not kept. Retrieve ranks a workspace's chunks for a question with
// BM25, in Go, so that SQLite and MySQL rank alike; every workspace has its
// own in-memory index, so a search can only ever see its own workspace.
//
// Document text is data: it is never interpreted, only stored, indexed and
// returned.
//
// Tables owned: knowledge_documents, knowledge_chunks, knowledge_revisions.
// Events emitted: knowledge.document_created, knowledge.document_updated,
// knowledge.document_deleted (visibility admins).
// RPCs served: KnowledgeService (UploadDocument, ListDocuments, GetDocument,
// ReplaceDocument, DeleteDocument, SearchKnowledge).
package knowledge

import "strconv"

// Format is how a document's content is written.
type Format string

// The formats a document can be uploaded in. Unspecified asks for
// detection from the content and the file name.
const (
	FormatUnspecified Format = ""
	FormatText        Format = "text"
	FormatMarkdown    Format = "markdown"
	FormatHTML        Format = "html"
	FormatPDF         Format = "pdf"
)

// Document is one uploaded document, without its chunks.
type Document struct {
	ID          string `db:"id"`
	WorkspaceID string `db:"workspace_id"`
	Title       string `db:"title"`
	// Filename is the name it was uploaded under; metadata only.
	Filename string `db:"filename"`
	Format   Format `db:"format"`
	// SizeBytes is the size of the uploaded content.
	SizeBytes int64 `db:"size_bytes"`
	// ContentSHA256 is the hex SHA-256 of the uploaded content.
	ContentSHA256 string `db:"content_sha256"`
	ChunkCount    int    `db:"chunk_count"`
	// SourceURL is where customers can read it (http or https), or "".
	SourceURL string `db:"source_url"`
	// CreatedBy is the user who uploaded it; for an API key, the key's
	// creator (the event log names the key itself).
	CreatedBy string `db:"created_by"`
	CreatedAt int64  `db:"created_at"`
	UpdatedAt int64  `db:"updated_at"`
	// Language is the language its text is written in (ISO 639-1), as
	// detected at upload, or "" when it could not be told.
	Language string `db:"language"`
	// FlaggedChunkCount counts its chunks the AI agent never uses (see
	// FlagReason); read with the document, never stored.
	FlaggedChunkCount int `db:"flagged_chunk_count"`
}

// Chunk is one retrievable passage of a document.
type Chunk struct {
	DocumentID string `db:"document_id"`
	// Position is its place in the document, from 0.
	Position int `db:"position"`
	// Heading is the heading path it sits under ("Returns > Refunds"), or "".
	Heading string `db:"heading"`
	Text    string `db:"text"`
	// FlagReason says why the AI agent never uses it (it addresses the
	// assistant or tries to instruct it; see FlagReason), or "".
	FlagReason string `db:"flag_reason"`
}

// ID is the chunk's id, stable while its document is unchanged.
func (c Chunk) ID() string { return ChunkID(c.DocumentID, c.Position) }

// ChunkID is the id of the chunk at the position of a document:
// "<document_id>#<position>".
func ChunkID(documentID string, position int) string {
	return documentID + "#" + strconv.Itoa(position)
}

// Hit is one chunk retrieved for a query, with the title of its document.
type Hit struct {
	ChunkID    string
	DocumentID string
	Position   int
	Title      string
	Heading    string
	Text       string
	// URL is the document's public address (http or https), or "".
	URL string
	// Language is the language it is indexed in (ISO 639-1).
	Language string
	// Question is the FAQ question it answers (its heading's last part,
	// when that asks a question), or "".
	Question string
	// Score is the BM25 ranking score: higher is better, comparable only
	// within one retrieval.
	Score float64
	// Relevance is the weighed share (0 to 1) of what the question asks
	// about that the passage covers: what the AI agent's confidence is
	// made of.
	Relevance float64
	// Answer are the passage's sentences that answer the question.
	Answer []string
}

// Limits, as the API states them.
const (
	MaxContent  = 8 << 20 // bytes of uploaded content
	MaxTitle    = 200     // characters
	MaxFilename = 255     // characters
	MaxQuery    = 1000    // characters of a search
	MaxHits     = 20      // hits of one SearchKnowledge call
	// DefaultHits is the number of hits when a search asks for none.
	DefaultHits = 5
)
