// The web host's stream follower (src/web/watch.ts) behaves as the
// desktop's (internal/watch): resumes from the cursor, reloads on
// RESYNC_REQUIRED, reconnects a silent stream, stops for good on a dead
// session or membership, and ends at once when the browser goes offline.
import { create } from "@bufbuild/protobuf";
import { EventSchema, WatchResponseSchema, type Event, type WatchResponse } from "@api/conversation_pb.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { AppError } from "../src/bridge";
import { reasonHeader } from "../src/web/errors";
import { Watcher, type Conn, type Handler, type Open } from "../src/web/watch";

const fast = { min: 2, max: 10 };
const msg = (cursor: string, type = "message.created"): WatchResponse => create(WatchResponseSchema, { cursor, event: create(EventSchema, { type, conversationId: "c" }) });
const beat = (cursor = ""): WatchResponse => create(WatchResponseSchema, { heartbeat: true, cursor });

/** A scripted server: each attempt gets the next script, which yields messages and ends with an error (or hangs). */
type Script = { msgs: WatchResponse[]; end?: unknown; hang?: boolean };
function server(scripts: Script[]) {
  const cursors: string[] = [];
  const open: Open = (req, signal) =>
    (async function* () {
      cursors.push(req.cursor ?? "");
      const s = scripts.shift() ?? { msgs: [], hang: true };
      for (const m of s.msgs) yield m;
      if (s.hang) {
        await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new ConnectError("aborted", Code.Canceled)), { once: true }));
      }
      if (s.end) throw s.end;
    })();
  return { open, cursors };
}

function recorder(resync: () => Promise<string> = async () => "fresh") {
  const events: Event[] = [];
  const states: [Conn, string][] = [];
  const h: Handler = {
    event: (e) => events.push(e),
    resync: () => resync(),
    status: (s, err) => states.push([s, err?.kind ?? ""]),
  };
  return { h, events, states };
}

describe("web watch", () => {
  it("delivers events, skips heartbeats, resumes from the last cursor", async () => {
    const { open, cursors } = server([
      { msgs: [msg("1"), beat("2"), msg("3")], end: new ConnectError("Failed to fetch", Code.Unknown, undefined, undefined, new TypeError("x")) },
      { msgs: [msg("4")], end: new ConnectError("invalid or expired token", Code.Unauthenticated) },
    ]);
    const r = recorder();
    const w = new Watcher(open, "w", "0", r.h, { backoff: fast });
    const end = await w.run(new AbortController().signal);
    expect(end.kind).toBe("signed_out");
    expect(cursors).toEqual(["0", "3"]);
    expect(r.events).toHaveLength(3);
    expect(r.states).toEqual([
      ["connecting", ""], ["live", ""], ["offline", "offline"], ["connecting", ""], ["live", ""], ["offline", "signed_out"],
    ]);
    expect(w.cursor).toBe("4");
  });

  it("reloads when the cursor can no longer be resumed from", async () => {
    const stale = new ConnectError("cannot resume from this cursor", Code.FailedPrecondition, { [reasonHeader]: "RESYNC_REQUIRED" });
    const { open, cursors } = server([{ msgs: [], end: stale }, { msgs: [], end: new ConnectError("not a member", Code.PermissionDenied) }]);
    let reloads = 0;
    const r = recorder(async () => (reloads++, "fresh"));
    const end = await new Watcher(open, "w", "old", r.h, { backoff: fast }).run(new AbortController().signal);
    expect(reloads).toBe(1);
    expect(cursors).toEqual(["old", "fresh"]);
    expect(end).toMatchObject({ kind: "forbidden", message: "Not a member." });
  });

  it("reconnects a stream gone silent, and ends one at once when the browser is offline", async () => {
    const { open, cursors } = server([{ msgs: [msg("1")], hang: true }, { msgs: [], hang: true }, { msgs: [], end: new ConnectError("gone", Code.NotFound) }]);
    const r = recorder();
    const w = new Watcher(open, "w", "", r.h, { backoff: { min: 1, max: 1 }, idleMs: 30 });
    const done = w.run(new AbortController().signal);
    await new Promise((res) => setTimeout(res, 45)); // the first went silent; the second is open
    w.interrupt();
    const end: AppError = await done;
    expect(end.kind).toBe("not_found");
    expect(cursors).toEqual(["", "1", "1"]);
    const reasons = r.states.filter(([s]) => s === "offline");
    expect(reasons.slice(0, 2)).toEqual([["offline", "offline"], ["offline", "offline"]]);
  });

  it("stops when told to", async () => {
    const { open } = server([{ msgs: [], hang: true }]);
    const ctl = new AbortController();
    const done = new Watcher(open, "w", "", recorder().h, { backoff: fast }).run(ctl.signal);
    await new Promise((res) => setTimeout(res, 5));
    ctl.abort();
    expect((await done).kind).toBe("canceled");
  });
});
