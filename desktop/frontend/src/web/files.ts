// Files in the browser: the files endpoint (POST /files, GET
// /files/{id}/link) with the session's CSRF token, the download from the
// files origin by that link, the file chooser, and saving a download.
// The page names picked files only by ids it handed out, as the desktop
// names them by ids rather than paths.
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { AttachmentSchema, type Attachment } from "@api/conversation_pb.js";
import type { AppError, PickedFile } from "../bridge";
import { csrfHeader } from "./cookie";
import { appError, fromError, httpError } from "./errors";
import { safe } from "./filename";
import { uuid } from "./ids";
import { maxFileBytes } from "./outboxitem";
import { sameOriginFetch, type Csrf } from "./transport";

/** fileTimeoutMs bounds one upload or download. */
export const fileTimeoutMs = 5 * 60_000;

/** A file the person picked, by the id the page was given. */
export interface Picked {
  name: string;
  file: Blob;
}

/** Picks holds the files the person picked until a reply or an upload takes them. */
export class Picks {
  private readonly byId = new Map<string, Picked>();

  /** add keeps a file and returns how the page names it. */
  add(file: Blob, name: string): PickedFile {
    const id = uuid();
    const p = { name: safe(name), file };
    this.byId.set(id, p);
    return { id, name: p.name, size: file.size };
  }

  get(id: string): Picked | undefined {
    return this.byId.get(id);
  }

  delete(id: string): void {
    this.byId.delete(id);
  }
}

/** withTimeout is a signal that aborts with signal or after ms. */
function withTimeout(ms: number, signal?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, t]) : t;
}

async function request(csrf: Csrf, url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
  let token: string;
  try {
    token = csrf();
  } catch (e) {
    throw fromError(e);
  }
  const headers = new Headers(init.headers);
  headers.set(csrfHeader, token);
  let res: Response;
  try {
    res = await sameOriginFetch(url, { ...init, headers, signal: withTimeout(fileTimeoutMs, signal) });
  } catch (e) {
    throw fromError(e);
  }
  if (!res.ok) throw httpError(res.status, await res.text().catch(() => ""), res.headers);
  return res;
}

/**
 * upload sends a file for a conversation (POST /files). The client id
 * makes retries safe: the server answers a repeat with the first upload.
 */
export async function upload(origin: string, csrf: Csrf, conversationId: string, clientId: string, name: string, blob: Blob, signal?: AbortSignal): Promise<Attachment> {
  if (blob.size > maxFileBytes) throw appError("invalid", "Files can be at most 10 MB.");
  const q = new URLSearchParams({ conversation_id: conversationId, client_id: clientId, name });
  const res = await request(csrf, `${origin}/files?${q}`, { method: "POST", body: blob, headers: { "Content-Type": "application/octet-stream" } }, signal);
  try {
    return fromJson(AttachmentSchema, (await res.json()) as JsonValue, { ignoreUnknownFields: true });
  } catch (e) {
    if (e instanceof TypeError) throw fromError(e); // the connection broke while reading
    throw appError("internal", "The server's answer to an upload was not understood.");
  }
}

/**
 * download fetches an attachment: a short-lived link from the API (GET
 * /files/{id}/link, with the session), then the bytes from the files
 * origin, another host, where none of this app's cookies go (the link is
 * the credential) and a file can never be a page of this origin.
 */
export async function download(origin: string, csrf: Csrf, id: string): Promise<Blob> {
  const res = await request(csrf, `${origin}/files/${encodeURIComponent(id)}/link`, { method: "GET" });
  let file: Response;
  try {
    const link = (await res.json()) as { url?: unknown };
    if (typeof link.url !== "string") throw appError("internal", "The server's answer to a download was not understood.");
    file = await globalThis.fetch(link.url, { credentials: "omit", referrerPolicy: "no-referrer", signal: withTimeout(fileTimeoutMs) });
  } catch (e) {
    throw fromError(e);
  }
  if (!file.ok) throw httpError(file.status, await file.text().catch(() => ""), file.headers);
  try {
    return await file.blob();
  } catch (e) {
    throw fromError(e);
  }
}

/**
 * choose opens the browser's file chooser; it resolves to the files
 * chosen, none when the person cancelled. It must run in the click that
 * asked for it (browsers open choosers only then).
 */
export function choose(accept: string, multiple: boolean): Promise<File[]> {
  return new Promise((resolve) => {
    const input = document.createElement("input");
    input.type = "file";
    input.multiple = multiple;
    if (accept) input.accept = accept;
    input.style.display = "none";
    const done = (files: File[]) => {
      input.remove();
      resolve(files);
    };
    input.addEventListener("change", () => done([...(input.files ?? [])]), { once: true });
    input.addEventListener("cancel", () => done([]), { once: true });
    document.body.append(input);
    input.click();
  });
}

/** tooBig is the error for a picked file over the message limit (app.PickFiles). */
export function tooBig(name: string): AppError {
  return appError("invalid", `${safe(name)} is larger than 10 MB, the most a message can carry.`);
}

/** saveAs hands a downloaded file to the browser, which saves it (in the downloads folder, or where the person says). */
export function saveAs(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  a.style.display = "none";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Types a browser shows as data, never as a page of this origin: a saved
 * file of another type (HTML, SVG, XML...) would run its scripts with the
 * app's cookies if opened from a blob URL, so it is not opened.
 */
const viewable = new Set(["application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "text/plain", "audio/mpeg", "audio/ogg", "audio/wav", "video/mp4", "video/webm"]);

/** viewableType is the type to open a saved file as, or "" when it is not opened in the browser. */
export function viewableType(type: string): string {
  const t = type.split(";")[0]!.trim().toLowerCase();
  return viewable.has(t) ? t : "";
}

/** view opens a saved file in a new tab as the given (viewable) type. */
export function view(blob: Blob, type: string): void {
  const url = URL.createObjectURL(new Blob([blob], { type }));
  window.open(url, "_blank", "noopener");
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
