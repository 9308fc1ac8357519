import { useEffect, useRef, useState } from "preact/hooks";
import { decode, type GetDocumentResponse, type KnowledgeDocument } from "../api";
import { go, type PickedFile } from "../bridge";
import { size } from "../logic/format";
import { count, deleteWarning, flagged, flagNote, formatLabel, languageName, passages, shownChunks } from "../logic/knowledge";
import { useEscape } from "./escape";
import { Problem } from "./Problem";
import { useFocusTrap } from "./trap";

/**
 * Knowledge lists the documents the AI agent answers from, adds one from a
 * file, deletes one after asking, and opens one to show its passages.
 */
export function Knowledge({ visible }: { visible: boolean }) {
  const [docs, setDocs] = useState<KnowledgeDocument[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [picked, setPicked] = useState<PickedFile | null>(null);
  const [doomed, setDoomed] = useState<KnowledgeDocument | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  useEffect(() => {
    let live = true;
    go("Documents").then(
      (list) => live && setDocs(list.map(decode.document)),
      (e) => live && setError(e),
    );
    return () => void (live = false);
  }, []);

  if (openId) return <DocumentView id={openId} active={visible} onBack={() => setOpenId(null)} />;
  const pick = async () => {
    setError(null);
    setStatus("");
    try {
      const f = await go("PickDocument");
      if (f) setPicked(f);
    } catch (e) {
      setError(e);
    }
  };
  const remove = async (d: KnowledgeDocument) => {
    setDoomed(null);
    setError(null);
    try {
      await go("DeleteDocument", d.id);
      setDocs((list) => (list ?? []).filter((x) => x.id !== d.id));
      setStatus(`Deleted “${d.title}”.`);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="knowledge">
      <div class="row">
        <p class="hint grow">The documents the AI agent answers from. Text, Markdown, HTML or PDF, 8 MB at most.</p>
        <button onClick={() => void pick()} disabled={picked !== null}>
          Add a document…
        </button>
      </div>
      {picked && (
        <UploadForm
          file={picked}
          active={visible}
          onCancel={() => setPicked(null)}
          onDone={(d) => {
            setPicked(null);
            setDocs((list) => [d, ...(list ?? [])]);
            setStatus(`Added “${d.title}”: ${passages(d)}.`);
          }}
        />
      )}
      {status && <p role="status">{status}</p>}
      {error !== null && <Problem error={error} />}
      {docs === null ? (
        error === null && <p class="hint">Loading the documents…</p>
      ) : docs.length === 0 ? (
        <p class="empty">No documents yet: the AI agent has nothing to answer from.</p>
      ) : (
        <table class="documents">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Format</th>
              <th scope="col">Language</th>
              <th scope="col">Passages</th>
              <th scope="col">Flagged</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {docs.map((d) => (
              <tr key={d.id}>
                <td>
                  <button class="link" onClick={() => setOpenId(d.id)}>
                    {d.title}
                  </button>
                  <div class="hint">
                    {d.filename} · {size(Number(d.sizeBytes))}
                  </div>
                </td>
                <td>{formatLabel(d.format)}</td>
                <td>{languageName(d.language) || <span class="hint">not detected</span>}</td>
                <td>{d.chunkCount}</td>
                <td class={d.flaggedChunkCount > 0 ? "flag" : ""}>{d.flaggedChunkCount}</td>
                <td>
                  <button aria-label={`Delete “${d.title}”`} onClick={() => setDoomed(d)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {doomed && <ConfirmDelete doc={doomed} onCancel={() => setDoomed(null)} onConfirm={() => void remove(doomed)} />}
    </div>
  );
}

/** UploadForm sends a picked file, with an optional title and public address. */
function UploadForm({ file, active, onCancel, onDone }: { file: PickedFile; active: boolean; onCancel: () => void; onDone: (d: KnowledgeDocument) => void }) {
  const [title, setTitle] = useState("");
  const [url, setUrl] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEscape(onCancel, active && !busy);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <form
      class="upload"
      aria-label="Add a document"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        go("UploadDocument", file.id, title, url)
          .then((raw) => onDone(decode.document(raw)))
          .catch(setError)
          .finally(() => setBusy(false));
      }}
    >
      <p>
        <strong>{file.name}</strong> <span class="hint">{size(file.size)}</span>
      </p>
      <label class="field">
        Title (optional: the document's own heading otherwise)
        <input ref={first} value={title} maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      <label class="field">
        Public address (optional: where customers can read it)
        <input type="url" value={url} maxLength={2048} placeholder="https://" onInput={(e) => setUrl(e.currentTarget.value)} />
      </label>
      {error !== null && <Problem error={error} />}
      <div class="row end">
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Uploading…" : "Upload"}
        </button>
      </div>
    </form>
  );
}

/** ConfirmDelete asks before a document goes; Esc and Cancel keep it. Tab stays in it; Cancel has focus first. */
function ConfirmDelete({ doc, onCancel, onConfirm }: { doc: KnowledgeDocument; onCancel: () => void; onConfirm: () => void }) {
  useEscape(onCancel);
  const box = useRef<HTMLDivElement>(null);
  useFocusTrap(box);
  return (
    <div class="modal" onClick={onCancel}>
      <div
        class="modal-box"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="confirm-delete-title"
        aria-describedby="confirm-delete-text"
        ref={box}
        onClick={(e) => e.stopPropagation()}
      >
        <h3 id="confirm-delete-title">Delete “{doc.title}”?</h3>
        <p id="confirm-delete-text">{deleteWarning(doc)}</p>
        <div class="row end">
          <button autoFocus onClick={onCancel}>
            Cancel
          </button>
          <button class="danger" onClick={onConfirm}>
            Delete
          </button>
        </div>
      </div>
    </div>
  );
}

/** DocumentView shows a document's passages under their headings, flagged ones marked; Esc goes back. */
export function DocumentView({ id, active, onBack }: { id: string; active: boolean; onBack: () => void }) {
  const [doc, setDoc] = useState<GetDocumentResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [flaggedOnly, setFlaggedOnly] = useState(false);
  useEscape(onBack, active);
  useEffect(() => {
    let live = true;
    go("Document", id).then(
      (raw) => live && setDoc(decode.documentFull(raw)),
      (e) => live && setError(e),
    );
    return () => void (live = false);
  }, [id]);
  const d = doc?.document;
  const chunks = doc ? shownChunks(doc.chunks, flaggedOnly) : [];
  const nFlagged = doc ? doc.chunks.filter(flagged).length : 0;
  return (
    <section class="document" aria-label={d ? `Document ${d.title}` : "Document"}>
      <div class="row">
        <button onClick={onBack}>← Documents</button>
        {d && <h3 class="grow">{d.title}</h3>}
      </div>
      {error !== null && <Problem error={error} />}
      {!doc && error === null && <p class="hint">Loading the passages…</p>}
      {d && (
        <>
          <p class="hint">
            {formatLabel(d.format)}
            {d.language ? ` · ${languageName(d.language)}` : ""} · {passages(d)}
            {d.sourceUrl ? ` · ${d.sourceUrl}` : ""}
          </p>
          <label class="check">
            <input type="checkbox" checked={flaggedOnly} onChange={(e) => setFlaggedOnly(e.currentTarget.checked)} />
            Flagged only ({nFlagged})
          </label>
          {chunks.length === 0 && <p class="empty">{flaggedOnly ? "No flagged passages: the AI agent may use all of them." : "No passages."}</p>}
          <ol class="chunks" aria-label="Passages">
            {chunks.map((c) => (
              <li key={c.id} class={flagged(c) ? "chunk flagged" : "chunk"}>
                {c.heading && <h4>{c.heading}</h4>}
                <p class="text">{c.text}</p>
                {flagged(c) && (
                  <p class="flag-note">
                    <strong>Flagged.</strong> {flagNote(c)}
                  </p>
                )}
              </li>
            ))}
          </ol>
          {flaggedOnly && nFlagged > 0 && <p class="hint">Showing {count(nFlagged, "flagged passage")} of {doc.chunks.length}.</p>}
        </>
      )}
    </section>
  );
}
