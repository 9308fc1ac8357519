package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/filename"
)

// MaxDocumentBytes is the server's limit on a knowledge document's content
// (UploadDocumentRequest.content, 8 MiB). A larger one is refused here:
// the server would cut it off before reading it, with a less clear answer.
const MaxDocumentBytes = 8 << 20

// maxDocuments bounds how many documents Documents lists.
const maxDocuments = 2000

// uploadTimeout leaves the server its 20 s to read a large PDF.
const uploadTimeout = 90 * time.Second

// documentFormat is the format a file's extension names, or unspecified
// for a file the knowledge base does not take.
func documentFormat(name string) tandemv1.DocumentFormat {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".text":
		return tandemv1.DocumentFormat_DOCUMENT_FORMAT_TEXT
	case ".md", ".markdown":
		return tandemv1.DocumentFormat_DOCUMENT_FORMAT_MARKDOWN
	case ".html", ".htm":
		return tandemv1.DocumentFormat_DOCUMENT_FORMAT_HTML
	case ".pdf":
		return tandemv1.DocumentFormat_DOCUMENT_FORMAT_PDF
	}
	return tandemv1.DocumentFormat_DOCUMENT_FORMAT_UNSPECIFIED
}

// checkDocument says in plain words why a file cannot be a knowledge
// document, or returns its size.
func checkDocument(path string) (int64, error) {
	base := filepath.Base(path)
	if documentFormat(base) == tandemv1.DocumentFormat_DOCUMENT_FORMAT_UNSPECIFIED {
		return 0, apiclient.Errorf(apiclient.KindInvalid, base+" is not a text, Markdown, HTML or PDF file (.txt, .md, .html or .pdf).")
	}
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return 0, apiclient.Errorf(apiclient.KindInvalid, base+" cannot be read.")
	}
	switch {
	case st.Size() == 0:
		return 0, apiclient.Errorf(apiclient.KindInvalid, base+" is empty.")
	case st.Size() > MaxDocumentBytes:
		return 0, apiclient.Errorf(apiclient.KindInvalid, base+" is larger than 8 MB, the most a knowledge document can be.")
	}
	return st.Size(), nil
}

// Documents lists the workspace's knowledge documents, newest first
// (protobuf JSON KnowledgeDocument): title, format, language, passages and
// flagged passages.
func (a *App) Documents() ([]json.RawMessage, error) {
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	var docs []*tandemv1.KnowledgeDocument
	for token := ""; len(docs) < maxDocuments; {
		res, err := sess.client.Knowledge.ListDocuments(a.c.ctx(), &tandemv1.ListDocumentsRequest{WorkspaceId: ws.id, PageSize: 200, PageToken: token})
		if err != nil {
			return nil, err
		}
		docs = append(docs, res.GetDocuments()...)
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	return wires(docs), nil
}

// Document returns a document with its passages in order (protobuf JSON
// GetDocumentResponse); a flagged passage has a flag_reason.
func (a *App) Document(documentID string) (json.RawMessage, error) {
	sess, _, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Knowledge.GetDocument(a.c.ctx(), &tandemv1.GetDocumentRequest{DocumentId: documentID})
	if err != nil {
		return nil, err
	}
	return wire(res), nil
}

// PickDocument asks the person for a document to add to the knowledge
// base (text, Markdown, HTML or PDF, at most 8 MB). UploadDocument takes
// the id it returns; null when they cancelled.
func (a *App) PickDocument() (*PickedFile, error) {
	path, err := a.c.shell.PickDocument()
	if err != nil {
		return nil, apiclient.Errorf(apiclient.KindInternal, "The file chooser did not open: "+err.Error())
	}
	if path == "" {
		return nil, nil
	}
	size, err := checkDocument(path)
	if err != nil {
		return nil, err
	}
	id := uuid.NewString()
	a.c.mu.Lock()
	a.c.picked[id] = path
	a.c.mu.Unlock()
	return &PickedFile{ID: id, Name: filename.Safe(filepath.Base(path)), Size: size}, nil
}

// UploadDocument adds the picked file to the knowledge base, with a title
// (empty takes the document's own) and the address where customers can
// read it (optional). The file's id is the upload's client id, so trying
// again after a lost answer stores nothing twice.
func (a *App) UploadDocument(fileID, title, sourceURL string) (json.RawMessage, error) {
	a.c.mu.Lock()
	path, ok := a.c.picked[fileID]
	a.c.mu.Unlock()
	if !ok {
		return nil, apiclient.Errorf(apiclient.KindInvalid, "Choose the file again: the app no longer has it.")
	}
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	if _, err := checkDocument(path); err != nil { // it may have changed since
		return nil, err
	}
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, apiclient.Errorf(apiclient.KindInvalid, filepath.Base(path)+" cannot be read.")
	}
	if len(content) > MaxDocumentBytes {
		return nil, apiclient.Errorf(apiclient.KindInvalid, filepath.Base(path)+" is larger than 8 MB, the most a knowledge document can be.")
	}
	name := filename.Safe(filepath.Base(path))
	ctx, cancel := context.WithTimeout(a.c.ctx(), uploadTimeout)
	defer cancel()
	res, err := sess.client.Knowledge.UploadDocument(ctx, &tandemv1.UploadDocumentRequest{
		WorkspaceId: ws.id, Title: strings.TrimSpace(title), Filename: name, Format: documentFormat(name),
		Content: content, ClientId: fileID, SourceUrl: strings.TrimSpace(sourceURL)})
	if err != nil {
		return nil, err
	}
	a.c.mu.Lock()
	delete(a.c.picked, fileID)
	a.c.mu.Unlock()
	return wire(res.GetDocument()), nil
}

// DeleteDocument removes a document and its passages from the knowledge
// base (the frontend asks first).
func (a *App) DeleteDocument(documentID string) error {
	sess, _, err := a.c.current()
	if err != nil {
		return err
	}
	_, err = sess.client.Knowledge.DeleteDocument(a.c.ctx(), &tandemv1.DeleteDocumentRequest{DocumentId: documentID})
	return err
}
