// The widget's only way to the server: WidgetService over Connect on this
// page's own origin, the /files endpoints, and the files origin that
// downloads come from by link. The visitor token is added to every call by
// an interceptor.

import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { WidgetService } from "@api/widget_pb.js";
import { strings } from "./logic/strings";
import type { FileRef } from "./logic/timeline";

export type WidgetClient = Client<typeof WidgetService>;

/** Api holds the visitor token and the client that sends it. */
export class Api {
  token = "";
  readonly client: WidgetClient;

  constructor(private readonly origin: string) {
    const auth: Interceptor = (next) => async (req) => {
      if (this.token) req.header.set("Authorization", `Bearer ${this.token}`);
      return next(req);
    };
    // The API on our own origin only: the CSP (connect-src 'self' and the
    // files origin) enforces it too.
    this.client = createClient(WidgetService, createConnectTransport({ baseUrl: origin, interceptors: [auth] }));
  }

  /**
   * upload sends one file to a conversation with progress; it resolves to
   * the stored attachment.
   */
  upload(conversationId: string, clientId: string, file: File, onProgress: (fraction: number) => void): Promise<FileRef> {
    const q = new URLSearchParams({ conversation_id: conversationId, client_id: clientId, name: file.name });
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${this.origin}/files?${q}`);
      xhr.setRequestHeader("Authorization", `Bearer ${this.token}`);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      xhr.onerror = () => reject(new ConnectError("network error", Code.Unavailable));
      xhr.onload = () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          // fall through to the status check
        }
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve({
            id: String(body.id ?? ""),
            name: String(body.name ?? file.name),
            contentType: String(body.contentType ?? ""),
            size: Number(body.sizeBytes ?? file.size),
          });
          return;
        }
        reject(new ConnectError(String(body.message ?? `upload failed (${xhr.status})`), codeOf(String(body.code ?? ""))));
      };
      xhr.send(file);
    });
  }

  /**
   * download gets a short-lived link to a file with the token (GET
   * /files/{id}/link), fetches the file from the files origin by it (no
   * token or cookie goes there: the link is the credential) and returns a
   * blob URL for it.
   */
  async download(id: string): Promise<string> {
    const res = await fetch(`${this.origin}/files/${encodeURIComponent(id)}/link`, {
      headers: { Authorization: `Bearer ${this.token}` },
      credentials: "omit",
    });
    if (!res.ok) throw new ConnectError(`download failed (${res.status})`, Code.Unknown);
    const link = (await res.json()) as { url?: unknown };
    if (typeof link.url !== "string") throw new ConnectError("download failed (no link)", Code.Unknown);
    const file = await fetch(link.url, { credentials: "omit", referrerPolicy: "no-referrer" });
    if (!file.ok) throw new ConnectError(`download failed (${file.status})`, Code.Unknown);
    return URL.createObjectURL(await file.blob());
  }
}

function codeOf(name: string): Code {
  const map: Record<string, Code> = {
    invalid_argument: Code.InvalidArgument,
    not_found: Code.NotFound,
    permission_denied: Code.PermissionDenied,
    unauthenticated: Code.Unauthenticated,
    resource_exhausted: Code.ResourceExhausted,
    failed_precondition: Code.FailedPrecondition,
    unavailable: Code.Unavailable,
  };
  return map[name] ?? Code.Unknown;
}

/** retryable says whether an error is worth retrying later (network, server busy). */
export function retryable(err: unknown): boolean {
  const e = ConnectError.from(err);
  return [Code.Unavailable, Code.DeadlineExceeded, Code.Unknown, Code.Aborted, Code.Internal, Code.Canceled, Code.ResourceExhausted].includes(e.code);
}

/** plainWords turns an error into a sentence for the customer. */
export function plainWords(err: unknown): string {
  const e = ConnectError.from(err);
  switch (e.code) {
    case Code.Unavailable:
    case Code.DeadlineExceeded:
    case Code.Unknown:
      return strings.error.network;
    case Code.InvalidArgument:
      return strings.error.invalid;
    case Code.ResourceExhausted:
      return strings.error.tooMany;
    case Code.FailedPrecondition:
    case Code.PermissionDenied:
    case Code.NotFound:
      return strings.error.notAllowed;
    case Code.Unauthenticated:
      return strings.error.expired;
    default:
      return strings.error.generic;
  }
}

/** uuid returns a random (v4) UUID, also outside secure contexts. */
export function uuid(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
