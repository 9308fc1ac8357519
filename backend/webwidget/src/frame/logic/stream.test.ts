import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { WidgetServiceWatchResponseSchema, type WidgetServiceWatchResponse } from "@api/widget_pb.js";
import { describe, expect, test } from "vitest";
import { backoff, Stream, type StreamClient, type StreamHooks } from "./stream";
import { deferred } from "./testing";

type Res = WidgetServiceWatchResponse;
/** A scripted Watch call: what it yields, then how it ends. */
type Call = (signal: AbortSignal) => AsyncIterable<Res>;

const res = (cursor: string) => create(WidgetServiceWatchResponseSchema, { cursor, heartbeat: true });

function yields(items: Res[], end?: Code): Call {
  return async function* () {
    for (const r of items) yield r;
    if (end !== undefined) throw new ConnectError("scripted", end);
  };
}

/** hang yields items, then waits until the stream is stopped. */
function hang(items: Res[] = []): Call {
  return async function* (signal) {
    for (const r of items) yield r;
    await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new ConnectError("aborted", Code.Canceled))));
  };
}

/** rig runs a Stream against scripted calls and records what it does. */
function rig(calls: Call[], delay: (attempt: number) => number = () => 0, onConnected: (ok: boolean) => void = () => {}) {
  const seen = { cursors: [] as string[], responses: [] as string[], connected: [] as boolean[], delays: [] as number[], history: 0, expired: 0 };
  const called: ((n: number) => void)[] = [];
  const client: StreamClient = {
    watch: ((req: { cursor: string }, opts: { signal: AbortSignal }) => {
      seen.cursors.push(req.cursor);
      const next = calls.shift();
      for (const f of called) f(seen.cursors.length);
      if (!next) throw new Error("no more scripted calls");
      return next(opts.signal);
    }) as unknown as StreamClient["watch"],
  };
  const hooks: StreamHooks = {
    history: async () => {
      seen.history++;
      stream.cursor = `h${seen.history}`;
    },
    response: (r) => seen.responses.push(r.cursor),
    connected: (ok) => {
      seen.connected.push(ok);
      onConnected(ok);
    },
    expired: () => seen.expired++,
  };
  const stream: Stream = new Stream(client, hooks, (attempt) => {
    seen.delays.push(attempt);
    return delay(attempt);
  });
  /** watchCall resolves when Watch has been called n times. */
  const watchCall = (n: number) => {
    const d = deferred();
    if (seen.cursors.length >= n) d.resolve();
    called.push((k) => k >= n && d.resolve());
    return d.promise;
  };
  return { stream, seen, watchCall };
}

describe("Stream", () => {
  test("lists first without a cursor, resumes from the last cursor after drops with growing backoff, and says when it is back", async () => {
    const back = deferred();
    const calls = [yields([res("c1"), res("c2")], Code.Unavailable), yields([], Code.Unavailable), hang([res("c3")])];
    const { stream, seen, watchCall } = rig(calls, undefined, (ok) => ok && back.resolve());
    void stream.start("conv1");
    await back.promise;
    await watchCall(3);
    expect(seen.history).toBe(1);
    expect(seen.cursors).toEqual(["h1", "c2", "c2"]);
    expect(seen.delays).toEqual([0, 1]);
    expect(seen.connected).toEqual([false, false, true]);
    expect(seen.responses).toEqual(["c1", "c2", "c3"]);
    expect(stream.cursor).toBe("c3");
    stream.stop();
    expect(stream.watching).toBe(false);
  });

  test("a cursor the server cannot honour: list again and watch from the new cursor at once", async () => {
    const { stream, seen, watchCall } = rig([yields([res("c1")], Code.FailedPrecondition), hang()]);
    stream.start("conv1");
    await watchCall(2);
    expect(seen.history).toBe(2);
    expect(seen.cursors).toEqual(["h1", "h2"]);
    expect(seen.delays).toEqual([]);
    expect(seen.connected).toEqual([]);
    stream.stop();
  });

  test("an expired session stops the stream and says so; a gone conversation stops it quietly", async () => {
    for (const [code, expired] of [
      [Code.Unauthenticated, 1],
      [Code.NotFound, 0],
      [Code.PermissionDenied, 0],
    ] as const) {
      const { stream, seen } = rig([yields([], code)]);
      await stream.start("conv1");
      expect(seen.expired).toBe(expired);
      expect(seen.connected).toEqual([]);
      expect(seen.cursors).toHaveLength(1);
      expect(stream.watching).toBe(true); // until stopped: follow() does not start it again for the same conversation
    }
  });

  test("retryNow ends the wait before the next attempt (back online)", async () => {
    // The wait starts right after the drop is reported.
    const { stream, watchCall } = rig([yields([], Code.Unavailable), hang()], () => 60_000, (ok) => !ok && setTimeout(() => stream.retryNow(), 0));
    void stream.start("conv1");
    await watchCall(2);
    stream.stop();
  });

  test("after the browser said offline, the first message says connected again", async () => {
    const back = deferred();
    const { stream, seen } = rig([hang([res("c1")])], undefined, (ok) => ok && back.resolve());
    stream.setConnected(false);
    stream.cursor = "c0";
    void stream.start("conv1");
    await back.promise;
    expect(seen.history).toBe(0);
    expect(seen.connected).toEqual([false, true]);
    stream.stop();
  });

  test("start replaces the stream: the old one is stopped", async () => {
    const { stream, seen, watchCall } = rig([hang(), hang()]);
    stream.cursor = "c0";
    const first = stream.start("a");
    await watchCall(1);
    void stream.start("b");
    await first;
    await watchCall(2);
    expect(seen.connected).toEqual([]);
    expect(seen.delays).toEqual([]);
    stream.stop();
  });
});

describe("backoff", () => {
  test("doubles from 0.5 s to at most 15 s, with ±25 % jitter", () => {
    expect(backoff(0, () => 0.5)).toBe(500);
    expect(backoff(0, () => 0)).toBe(375);
    expect(backoff(0, () => 1)).toBe(625);
    expect(backoff(3, () => 0.5)).toBe(4000);
    expect(backoff(5, () => 0.5)).toBe(15000);
    expect(backoff(50, () => 1)).toBe(18750);
  });
});
