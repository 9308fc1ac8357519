// The knowledge base (app/bind_knowledge.go).
import { DocumentFormat, GetDocumentResponseSchema, KnowledgeDocumentSchema, type KnowledgeDocument } from "@api/knowledge_pb.js";
import type { AppError, Bound } from "../../bridge";
import type { Core } from "../core";
import { appError } from "../errors";
import { ext } from "../filename";
import { choose } from "../files";
import { wire, wires } from "../wire";

/** maxDocumentBytes is the server's limit on a knowledge document's content (8 MiB). */
export const maxDocumentBytes = 8 << 20;
/** maxDocuments bounds how many documents Documents lists. */
const maxDocuments = 2000;
/** uploadTimeoutMs leaves the server its 20 s to read a large PDF. */
const uploadTimeoutMs = 90_000;

/** The extensions the chooser offers. */
export const documentTypes = ".txt,.text,.md,.markdown,.html,.htm,.pdf";

/** documentFormat is the format a file's extension names, or unspecified for a file the knowledge base does not take. */
export function documentFormat(name: string): DocumentFormat {
  switch (ext(name).toLowerCase()) {
    case ".txt":
    case ".text":
      return DocumentFormat.TEXT;
    case ".md":
    case ".markdown":
      return DocumentFormat.MARKDOWN;
    case ".html":
    case ".htm":
      return DocumentFormat.HTML;
    case ".pdf":
      return DocumentFormat.PDF;
  }
  return DocumentFormat.UNSPECIFIED;
}

/** documentProblem says in plain words why a file cannot be a knowledge document, or null. */
export function documentProblem(name: string, size: number): AppError | null {
  if (documentFormat(name) === DocumentFormat.UNSPECIFIED) return appError("invalid", `${name} is not a text, Markdown, HTML or PDF file (.txt, .md, .html or .pdf).`);
  if (size === 0) return appError("invalid", `${name} is empty.`);
  if (size > maxDocumentBytes) return appError("invalid", `${name} is larger than 8 MB, the most a knowledge document can be.`);
  return null;
}

type Methods = "Documents" | "Document" | "PickDocument" | "UploadDocument" | "DeleteDocument";

export function knowledgeBinds(c: Core): Pick<Bound, Methods> {
  return {
    /** Documents lists the workspace's knowledge documents, newest first. */
    async Documents() {
      const { sess, ws } = c.current();
      const docs: KnowledgeDocument[] = [];
      for (let pageToken = ""; docs.length < maxDocuments; ) {
        const res = await sess.net.clients.knowledge.listDocuments({ workspaceId: ws.id, pageSize: 200, pageToken });
        docs.push(...res.documents);
        if (!(pageToken = res.nextPageToken)) break;
      }
      return wires(KnowledgeDocumentSchema, docs);
    },

    /** Document returns a document with its passages in order. */
    async Document(documentId) {
      const { sess } = c.current();
      return wire(GetDocumentResponseSchema, await sess.net.clients.knowledge.getDocument({ documentId }));
    },

    /** PickDocument asks for one document (text, Markdown, HTML or PDF, at most 8 MB); null when cancelled. */
    async PickDocument() {
      const [file] = await choose(documentTypes, false);
      if (!file) return null;
      const problem = documentProblem(file.name, file.size);
      if (problem) throw problem;
      return c.picks.add(file, file.name);
    },

    /**
     * UploadDocument adds the picked file to the knowledge base. The file's
     * id is the upload's client id, so trying again after a lost answer
     * stores nothing twice.
     */
    async UploadDocument(fileId, title, sourceUrl) {
      const p = c.picks.get(fileId);
      if (!p) throw appError("invalid", "Choose the file again: the app no longer has it.");
      const { sess, ws } = c.current();
      const problem = documentProblem(p.name, p.file.size);
      if (problem) throw problem;
      let content: Uint8Array;
      try {
        content = new Uint8Array(await p.file.arrayBuffer());
      } catch {
        throw appError("invalid", `${p.name} cannot be read.`);
      }
      const res = await sess.net.clients.knowledge.uploadDocument(
        { workspaceId: ws.id, title: title.trim(), filename: p.name, format: documentFormat(p.name), content, clientId: fileId, sourceUrl: sourceUrl.trim() },
        { timeoutMs: uploadTimeoutMs },
      );
      c.picks.delete(fileId);
      return wire(KnowledgeDocumentSchema, res.document);
    },

    /** DeleteDocument removes a document and its passages. */
    async DeleteDocument(documentId) {
      const { sess } = c.current();
      await sess.net.clients.knowledge.deleteDocument({ documentId });
    },
  };
}
