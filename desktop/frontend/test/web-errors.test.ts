// The web host words errors as the desktop's Go side does
// (internal/apiclient/errors_test.go): the same kinds, the same messages.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { fromError, httpError, reasonHeader, sentence, temporary, words } from "../src/web/errors";

const ce = (msg: string, code: Code, meta?: Record<string, string>, cause?: unknown) => new ConnectError(msg, code, meta, undefined, cause);

describe("web errors", () => {
  it("says server errors plainly, as Go does", () => {
    const cases: [unknown, string, string][] = [
      [ce("Olivia Owner has already claimed this conversation", Code.FailedPrecondition), "conflict", "Olivia Owner has already claimed this conversation."],
      [ce("only supervisors can whisper", Code.PermissionDenied), "forbidden", "Only supervisors can whisper."],
      [ce("invalid or expired token", Code.Unauthenticated), "signed_out", words.sessionEnded],
      [ce("", Code.Unauthenticated), "signed_out", words.sessionEnded],
      [ce("internal error", Code.Internal), "internal", words.serverFault],
      [ce("", Code.NotFound), "not_found", words.notFound],
      [ce("not found", Code.NotFound), "not_found", words.notFound],
      [ce("that tag is gone", Code.NotFound), "not_found", "That tag is gone."],
      [ce("", Code.PermissionDenied), "forbidden", words.forbidden],
      [ce("body: must not be empty", Code.InvalidArgument), "invalid", "Body: must not be empty."],
      [ce("", Code.ResourceExhausted), "timeout", words.busy],
      [ce("the operation timed out", Code.DeadlineExceeded), "timeout", words.timeout],
      [ce("aborted", Code.Canceled), "canceled", words.stopped],
      [ce("exists", Code.AlreadyExists), "conflict", "Exists."],
      [ce("HTTP 503", Code.Unavailable), "offline", words.unavailable],
      [ce("whatever", Code.Unimplemented), "internal", words.serverFault],
    ];
    for (const [err, kind, message] of cases) expect(fromError(err), String(err)).toEqual({ kind, message });
  });

  it("tells the network from the server", () => {
    // connect-web reports a failed fetch as Unknown, with the TypeError as its cause.
    expect(fromError(ce("Failed to fetch", Code.Unknown, undefined, new TypeError("Failed to fetch")))).toEqual({ kind: "offline", message: words.offline });
    expect(fromError(ce("NetworkError when attempting to fetch resource.", Code.Unknown))).toMatchObject({ kind: "offline" });
    expect(fromError(ce("dial tcp: connection refused", Code.Unavailable))).toMatchObject({ kind: "offline", message: words.offline });
    expect(fromError(new TypeError("Failed to fetch"))).toMatchObject({ kind: "offline" });
    expect(fromError(ce("missing EndStreamResponse", Code.Unknown))).toEqual({ kind: "internal", message: words.serverFault });
    expect(temporary(fromError(new TypeError("x")))).toBe(true);
    expect(temporary(fromError(ce("no", Code.InvalidArgument)))).toBe(false);
  });

  it("reads the server's reason", () => {
    const resync = ce("cannot resume from this cursor", Code.FailedPrecondition, { [reasonHeader]: "RESYNC_REQUIRED" });
    expect(fromError(resync)).toEqual({ kind: "resync", message: "Cannot resume from this cursor.", reason: "RESYNC_REQUIRED" });
  });

  it("keeps app errors and words anything else", () => {
    expect(fromError({ kind: "invalid", message: "Write something first." })).toEqual({ kind: "invalid", message: "Write something first." });
    expect(fromError(new DOMException("x", "AbortError"))).toMatchObject({ kind: "canceled" });
    expect(fromError(new DOMException("x", "TimeoutError"))).toMatchObject({ kind: "timeout" });
    expect(fromError(new Error("boom"))).toEqual({ kind: "internal", message: words.generic });
    expect(fromError("boom")).toEqual({ kind: "internal", message: words.generic });
  });

  it("reads the Connect JSON of the files endpoint and /app/session", () => {
    expect(httpError(400, JSON.stringify({ code: "invalid_argument", message: "name: must not contain a slash" }), new Headers())).toEqual({
      kind: "invalid",
      message: "Name: must not contain a slash.",
    });
    expect(httpError(401, JSON.stringify({ code: "unauthenticated", message: "invalid email or password" }), new Headers())).toMatchObject({ kind: "signed_out" });
    expect(httpError(413, JSON.stringify({ code: "resource_exhausted", message: "files can be at most 10 MB" }), new Headers())).toMatchObject({ kind: "timeout", message: "Files can be at most 10 MB." });
    expect(httpError(502, "<html>bad gateway</html>", new Headers())).toEqual({ kind: "offline", message: words.unavailable });
    expect(httpError(404, "", new Headers())).toEqual({ kind: "internal", message: words.serverFault });
    const h = new Headers({ [reasonHeader]: "RECONNECT" });
    expect(httpError(409, JSON.stringify({ code: "failed_precondition", message: "closed" }), h)).toEqual({ kind: "conflict", message: "Closed.", reason: "RECONNECT" });
  });

  it("makes sentences", () => {
    expect(sentence("  hello ")).toBe("Hello.");
    expect(sentence("done!")).toBe("Done!");
    expect(sentence("why?")).toBe("Why?");
    expect(sentence("élan")).toBe("Élan.");
    expect(sentence("")).toBe("");
  });
});
