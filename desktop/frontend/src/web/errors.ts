// Errors in the browser host, as the desktop's Go side words them
// (internal/apiclient/errors.go): every failure becomes an AppError with a
// kind the views know and a message in plain words. Server messages are
// public by contract and shown as they are; transport failures get the
// app's own words.
import { Code, ConnectError } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import { isAppError, type AppError, type ErrorKind } from "../bridge";

/** The header with the server's machine-readable reason (RESYNC_REQUIRED...). */
export const reasonHeader = "Tandem-Error-Reason";

/** The app's own words, the same as Go's. */
export const words = {
  offline: "Can't reach the Tandem server. Check your connection; your work is kept and sent when it's back.",
  unavailable: "The Tandem server is not available right now. Your work is kept and retried.",
  timeout: "The server took too long to answer. Try again.",
  stopped: "Stopped.",
  sessionEnded: "Your session has ended. Sign in again.",
  forbidden: "Your role in this workspace does not allow that.",
  notFound: "It no longer exists, or you can no longer see it.",
  busy: "The server is busy. Try again in a moment.",
  serverFault: "Something went wrong on the server. Try again in a moment.",
  generic: "Something went wrong. Try again.",
} as const;

/** appError makes an error of the app's own (apiclient.Errorf). */
export function appError(kind: ErrorKind, message: string, reason?: string): AppError {
  return reason ? { kind, message, reason } : { kind, message };
}

/** temporary reports whether the same call may succeed later unchanged. */
export function temporary(e: AppError): boolean {
  return e.kind === "offline" || e.kind === "timeout";
}

/** sentence capitalizes a server message and ends it with a period. */
export function sentence(s: string): string {
  s = s.trim();
  if (s === "") return "";
  const first = s.codePointAt(0)!;
  const head = String.fromCodePoint(first);
  const upper = head.toUpperCase();
  s = (upper.length === head.length ? upper : head) + s.slice(head.length);
  if (!s.endsWith(".") && !s.endsWith("!") && !s.endsWith("?")) s += ".";
  return s;
}

// What a browser's fetch says when the network fails (Chrome, Firefox,
// Safari), and what Go's net errors say.
const transportWords = ["failed to fetch", "networkerror", "load failed", "network error", "connection refused", "connection reset", "no such host", "eof", "network is unreachable", "err_"];

function transportMessage(m: string): boolean {
  m = m.toLowerCase();
  return transportWords.some((w) => m.includes(w));
}

/** transport reports whether an error came from the network rather than the server. */
function transport(ce: ConnectError): boolean {
  return ce.cause instanceof TypeError || transportMessage(ce.rawMessage);
}

/** fromError turns anything thrown into an AppError (apiclient.From). */
export function fromError(err: unknown): AppError {
  if (isAppError(err) && !(err instanceof Error)) return err;
  if (!(err instanceof ConnectError)) {
    if (err instanceof Error || (typeof DOMException !== "undefined" && err instanceof DOMException)) {
      const name = (err as Error).name;
      if (name === "AbortError") return appError("canceled", words.stopped);
      if (name === "TimeoutError") return appError("timeout", words.timeout);
      if (err instanceof TypeError) return appError("offline", words.offline); // fetch's network failure
    }
    return appError("internal", words.generic);
  }
  const reason = err.metadata.get(reasonHeader) ?? "";
  const msg = sentence(err.rawMessage);
  let kind: ErrorKind;
  let message = msg;
  switch (err.code) {
    case Code.Unavailable:
      if (transport(err)) return appError("offline", words.offline);
      kind = "offline";
      message = words.unavailable;
      break;
    case Code.DeadlineExceeded:
      kind = "timeout";
      message = words.timeout;
      break;
    case Code.Canceled:
      kind = "canceled";
      message = words.stopped;
      break;
    case Code.Unauthenticated: {
      kind = "signed_out";
      const low = msg.toLowerCase();
      if (msg === "" || low.includes("token") || low.includes("credential")) message = words.sessionEnded;
      break;
    }
    case Code.PermissionDenied:
      kind = "forbidden";
      if (msg === "") message = words.forbidden;
      break;
    case Code.NotFound:
      kind = "not_found";
      if (msg === "" || msg === "Not found.") message = words.notFound;
      break;
    case Code.FailedPrecondition:
      kind = reason === "RESYNC_REQUIRED" ? "resync" : "conflict";
      break;
    case Code.AlreadyExists:
    case Code.Aborted:
      kind = "conflict";
      break;
    case Code.InvalidArgument:
    case Code.OutOfRange:
      kind = "invalid";
      break;
    case Code.ResourceExhausted:
      kind = "timeout";
      if (msg === "") message = words.busy;
      break;
    case Code.Unknown:
      // connect-web reports a failed fetch as Unknown: the network, not the server.
      if (transport(err)) return appError("offline", words.offline);
      kind = "internal";
      message = words.serverFault;
      break;
    default:
      kind = "internal";
      message = words.serverFault;
  }
  return appError(kind, message || words.generic, reason);
}

/**
 * httpError reads the Connect-style JSON error ({code, message}) that the
 * files endpoint and /app/session answer with (apiclient.fileError).
 */
export function httpError(status: number, body: string, headers: Headers): AppError {
  let code = "";
  let message = "";
  try {
    const j = JSON.parse(body) as unknown;
    if (typeof j === "object" && j !== null) {
      const o = j as Record<string, unknown>;
      if (typeof o["code"] === "string") code = o["code"];
      if (typeof o["message"] === "string") message = o["message"];
    }
  } catch {
    // not JSON: judged by the status below
  }
  if (code === "") {
    return fromError(new ConnectError(`HTTP ${status}`, status >= 500 ? Code.Unavailable : Code.Internal));
  }
  const meta = new Headers();
  const reason = headers.get(reasonHeader);
  if (reason) meta.set(reasonHeader, reason);
  return fromError(new ConnectError(message, codeFromString(code) ?? Code.Unknown, meta));
}
