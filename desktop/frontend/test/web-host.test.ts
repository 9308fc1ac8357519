// The web host end to end against a scripted server behind fetch: the
// requests it makes for each step (with the session's CSRF token), the
// events the views get, and the shapes they decode. The real server and
// Chromium prove the rest (Playwright).
import "fake-indexeddb/auto";
import { create, toJson, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { WhoAmIResponseSchema } from "@api/auth_pb.js";
import {
  ConversationSchema,
  ConversationState,
  GetConversationResponseSchema,
  ListConversationsResponseSchema,
  SendMessageResponseSchema,
  WatchResponseSchema,
} from "@api/conversation_pb.js";
import { SetPresenceResponseSchema } from "@api/presence_pb.js";
import { ListTagsResponseSchema } from "@api/tag_pb.js";
import { ListGroupsResponseSchema, ListMembersResponseSchema, Role } from "@api/workspace_pb.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decode } from "../src/api";
import type { Host, OutboxItem, SessionView } from "../src/bridge";
import { createWebHost } from "../src/web/host";
import { OutboxDB } from "../src/web/outboxdb";
import { Seen } from "../src/web/seen";
import type { Page } from "../src/web/notifications";

const origin = "https://tandem.test";
/** filesOrigin is where the scripted server's file links point: another host. */
const filesOrigin = "https://files.tandem.test";
const json = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) => toJson(schema, create(schema, init));

interface Call {
  method: string;
  csrf: string | null;
  body: Record<string, unknown>;
}

/** Server is a scripted tandemd: /app/session, the RPCs the inbox needs, and a Watch stream the test feeds. */
class Server {
  csrf = "";
  calls: Call[] = [];
  private n = 0;
  private streams: ReadableStreamDefaultController<Uint8Array>[] = [];
  refuse = new Set<string>();
  /** down makes every call fail as fetch does without a network. */
  down = false;

  readonly fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const headers = new Headers(init.headers);
    if (this.down) throw new TypeError("Failed to fetch");
    if (url.origin === filesOrigin) {
      // The files origin: no cookie and no CSRF token go there; the link is the credential.
      expect(init.credentials).toBe("omit");
      this.calls.push({ method: `GET files ${url.pathname}`, csrf: headers.get("Tandem-Csrf"), body: {} });
      const id = url.pathname.split("/").pop()!;
      if (url.searchParams.get("t") !== `link-${id}`) return Response.json({ code: "permission_denied", message: "link" }, { status: 403 });
      const audio = id === "voice";
      return new Response(audio ? "OggS..." : "text", { headers: { "Content-Type": audio ? "audio/ogg" : "text/plain; charset=utf-8" } });
    }
    expect(init.credentials).toBe("same-origin");
    if (url.pathname === "/app/session") {
      this.calls.push({ method: `${init.method} /app/session`, csrf: headers.get("Tandem-Csrf"), body: {} });
      if (init.method === "DELETE") {
        this.csrf = "";
        return new Response(null, { status: 204 });
      }
      const { email, password } = JSON.parse(String(init.body)) as { email: string; password: string };
      if (password !== "pw") return Response.json({ code: "unauthenticated", message: "invalid email or password" }, { status: 401 });
      this.csrf = `csrf-${++this.n}`;
      return Response.json({ csrf: this.csrf, expire_time_ms: 1, user_id: "u1", email, display_name: "Agnes Agent" });
    }
    if (url.pathname.startsWith("/files/")) {
      this.calls.push({ method: `GET ${url.pathname}`, csrf: headers.get("Tandem-Csrf"), body: {} });
      if (headers.get("Tandem-Csrf") !== this.csrf) return Response.json({ code: "permission_denied", message: "csrf" }, { status: 403 });
      // The API's origin serves a cookie session links, never the bytes.
      if (!url.pathname.endsWith("/link")) return Response.json({ code: "permission_denied", message: "bearer only" }, { status: 403 });
      const id = url.pathname.split("/")[2];
      return Response.json({ url: `${filesOrigin}/files/${id}?t=link-${id}`, expiresAt: "2026-01-01T00:05:00Z" });
    }
    const method = url.pathname.split("/").pop()!;
    const streaming = method === "Watch";
    let raw = init.body as Uint8Array | string;
    if (streaming) raw = new TextDecoder().decode((raw as Uint8Array).subarray(5));
    const body = JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw)) as Record<string, unknown>;
    const csrf = headers.get("Tandem-Csrf");
    this.calls.push({ method, csrf, body });
    if (csrf !== this.csrf || this.csrf === "" || this.refuse.has(method)) {
      return Response.json({ code: "unauthenticated", message: "invalid or expired token" }, { status: 401 });
    }
    if (streaming) {
      const stream = new ReadableStream<Uint8Array>({
        start: (c) => {
          this.streams.push(c);
          init.signal?.addEventListener("abort", () => c.error(new DOMException("aborted", "AbortError")));
        },
      });
      return new Response(stream, { headers: { "Content-Type": "application/connect+json" } });
    }
    return Response.json(this.answer(method, body));
  };

  private answer(method: string, body: Record<string, unknown>): unknown {
    const conv = json(ConversationSchema, { id: "c1", workspaceId: "w1", state: ConversationState.ACTIVE, lastActivityTimeMs: 5n, lastSeq: 3n, unread: true });
    switch (method) {
      case "WhoAmI":
        return json(WhoAmIResponseSchema, {
          user: { id: "u1", email: "agnes@example.com", displayName: "Agnes Agent" },
          memberships: [{ workspaceId: "w1", workspaceName: "Acme", role: Role.AGENT }, { workspaceId: "w2", workspaceName: "Beta", role: Role.ADMIN }],
        });
      case "ListMembers":
        return json(ListMembersResponseSchema, { members: [{ userId: "u1", displayName: "Agnes Agent" }] });
      case "ListGroups":
        return json(ListGroupsResponseSchema, { groups: [{ id: "g1", name: "Support", memberUserIds: ["u1"] }, { id: "g2", name: "Sales" }] });
      case "ListTags":
        return json(ListTagsResponseSchema, { tags: [{ id: "t1", name: "vip" }] });
      case "ListConversations":
        return { ...(json(ListConversationsResponseSchema, { cursor: "cur-1" }) as object), conversations: [conv] };
      case "SetPresence":
        return json(SetPresenceResponseSchema, {});
      case "GetConversation":
        return json(GetConversationResponseSchema, {
          conversation: { id: String(body["conversationId"]) },
          history: [{ id: "m2", seq: 2n }, { id: "m1", seq: 1n }],
          nextPageToken: "older",
        });
      case "MarkRead":
        return {};
      case "SendMessage":
        return json(SendMessageResponseSchema, { message: { id: "srv-m1", clientId: String(body["clientId"]) } });
    }
    throw new Error(`unscripted ${method}`);
  }

  /** drop breaks every open stream, as a lost connection does. */
  drop(): void {
    for (const c of this.streams.splice(0)) c.error(new TypeError("network error"));
  }

  /** push sends a Watch message on every open stream. */
  push(init: MessageInitShape<typeof WatchResponseSchema>): void {
    const data = new TextEncoder().encode(JSON.stringify(json(WatchResponseSchema, init)));
    const env = new Uint8Array(5 + data.length);
    new DataView(env.buffer).setUint32(1, data.length);
    env.set(data, 5);
    for (const c of this.streams) c.enqueue(env);
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }
}

class Memory implements Storage {
  private m = new Map<string, string>();
  get length() {
    return this.m.size;
  }
  clear() {
    this.m.clear();
  }
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
}

const quiet: Page = { hidden: () => false, permitted: () => false, show: () => undefined };
let dbs = 0;
const realFetch = globalThis.fetch;
let srv: Server;
let storage: Memory;

function host(seenName = `seen-${dbs + 1}`): { h: Host; events: [string, unknown][]; next: (name: string, pred?: (d: unknown) => boolean) => Promise<unknown> } {
  const dbName = `host-test-${++dbs}`;
  const server = srv; // this host's, even after the next test made another
  const h = createWebHost({ origin, storage, readCsrf: () => server.csrf, page: quiet, openDB: () => OutboxDB.open(dbName), openSeen: () => Seen.open(seenName), log: () => undefined });
  const events: [string, unknown][] = [];
  const waiters: { name: string; pred: (d: unknown) => boolean; resolve: (d: unknown) => void }[] = [];
  for (const name of ["session", "inbox:event", "inbox:reset", "outbox", "open"]) {
    h.on(name, (d) => {
      events.push([name, d]);
      for (const w of [...waiters]) {
        if (w.name === name && w.pred(d)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(d);
        }
      }
    });
  }
  const next = (name: string, pred: (d: unknown) => boolean = () => true) =>
    new Promise<unknown>((resolve, reject) => {
      waiters.push({ name, pred, resolve });
      setTimeout(() => reject(new Error(`no ${name} event`)), 3000);
    });
  return { h, events, next };
}

beforeEach(() => {
  srv = new Server();
  storage = new Memory();
  globalThis.fetch = srv.fetch as typeof fetch;
});
afterEach(() => {
  globalThis.fetch = realFetch;
});

describe("web host", () => {
  it("signs in, opens the workspace, follows the stream and sends a reply once", async () => {
    const { h, next } = host();
    const s0 = await h.app.State();
    expect(s0).toMatchObject({ signed_in: false, server: origin, connection: "offline", token_storage: "", workspaces: null, server_fixed: true });

    await expect(h.app.SignIn("ignored", "agnes@example.com", "wrong")).rejects.toEqual({
      kind: "signed_out",
      message: "That email and password don't match an account on this server.",
    });
    await expect(h.app.SignIn("", " ", "")).rejects.toMatchObject({ kind: "invalid", message: "Enter your email and password." });

    const live = next("session", (d) => (d as SessionView).connection === "live");
    const s = await h.app.SignIn("ignored", "agnes@example.com", "pw");
    expect(s).toMatchObject({
      signed_in: true, server: origin, email: "agnes@example.com", user_id: "u1", user_name: "Agnes Agent", ready: true,
      workspace_id: "w1", role: "agent", notice: "",
      workspaces: [{ id: "w1", name: "Acme", role: "agent" }, { id: "w2", name: "Beta", role: "admin" }],
    });
    expect(srv.methods().slice(0, 7)).toEqual(["POST /app/session", "POST /app/session", "WhoAmI", "ListMembers", "ListGroups", "ListTags", "ListConversations"]);
    expect(srv.methods().slice(7, 9).sort()).toEqual(["SetPresence", "Watch"]);
    expect(srv.calls.filter((c) => c.method !== "POST /app/session").every((c) => c.csrf === srv.csrf)).toBe(true);
    expect(srv.calls.find((c) => c.method === "Watch")?.body).toEqual({ workspaceId: "w1", cursor: "cur-1" });
    expect(srv.calls.find((c) => c.method === "SetPresence")?.body).toEqual({ workspaceId: "w1", status: "PRESENCE_STATUS_ONLINE" });

    // The lists, as protobuf JSON the views decode.
    const list = await h.app.Conversations();
    expect(list).toEqual([{ id: "c1", workspaceId: "w1", state: "CONVERSATION_STATE_ACTIVE", lastActivityTimeMs: "5", lastSeq: "3", unread: true }]);
    const dir = await h.app.Directory();
    expect(dir.my_groups).toEqual(["g1"]);
    expect(dir.members.map(decode.member)[0]?.displayName).toBe("Agnes Agent");
    const open = await h.app.Open("c1");
    expect(open.history.map((m) => decode.message(m).id)).toEqual(["m1", "m2"]);
    expect(open.more).toBe("older");
    expect(((await h.app.Conversations())[0] as { unread?: boolean }).unread).toBeUndefined();

    // The stream: live, then events with the conversation as the inbox has it.
    srv.push({ heartbeat: true });
    await live;
    const evp = next("inbox:event");
    srv.push({
      cursor: "cur-2",
      event: { type: "message.created", conversationId: "c1", actorId: "cust", conversation: { id: "c1", lastSeq: 4n, lastActivityTimeMs: 9n }, message: { id: "m3", seq: 4n } },
    });
    const ev = decode.event(await evp);
    expect(ev.conversation?.unread).toBe(true);
    expect(ev.message?.id).toBe("m3");

    // A reply: stored as queued, then sent once with its client id.
    const delivered = next("outbox", (d) => (d as OutboxItem).state === "delivered");
    const item = await h.app.Reply("c1", "Hello!", []);
    expect(item).toMatchObject({ server: origin, user_id: "u1", workspace_id: "w1", conversation_id: "c1", kind: "reply", body: "Hello!", state: "queued", order: 1 });
    expect((await delivered) as OutboxItem).toMatchObject({ client_id: item.client_id, state: "delivered", message_id: "srv-m1" });
    const sends = srv.calls.filter((c) => c.method === "SendMessage");
    expect(sends.map((c) => c.body)).toEqual([{ conversationId: "c1", clientId: item.client_id, body: "Hello!" }]);
    expect((await h.app.Outbox()).map((i) => i.state)).toEqual(["delivered"]);
    await expect(h.app.Reply("c1", "  ", [])).rejects.toMatchObject({ kind: "invalid", message: "Write something first." });
    await expect(h.app.Reply("c1", "x", ["nope"])).rejects.toMatchObject({ kind: "invalid", message: "Attach the file again: the app no longer has it." });
    await expect(h.app.SetPriority("c1", 99)).rejects.toMatchObject({ kind: "invalid", message: "Choose a priority." });
    await expect(h.app.OpenLink("javascript:alert(1)")).rejects.toMatchObject({ kind: "invalid" });

    // A voice message plays from a blob: URL (the web app's CSP allows no data: media); nothing else plays.
    const url = await h.app.PlayAttachment("voice");
    expect(url.startsWith("blob:")).toBe(true);
    expect(await h.app.PlayAttachment("voice")).toBe(url);
    await expect(h.app.PlayAttachment("doc")).rejects.toEqual({ kind: "invalid", message: "Only voice messages play here: save other files." });
    // Each through a link the API gives with the session, then from the files origin without it.
    expect(srv.calls.filter((c) => c.method.startsWith("GET /files/") || c.method.startsWith("GET files ")).map((c) => [c.method, c.csrf])).toEqual([
      ["GET /files/voice/link", srv.csrf],
      ["GET files /files/voice", null],
      ["GET /files/doc/link", srv.csrf],
      ["GET files /files/doc", null],
    ]);

    // Signing out tells the server and clears the cookie.
    const out = await h.app.SignOut();
    expect(out).toMatchObject({ signed_in: false, email: "agnes@example.com", notice: "" });
    expect(srv.methods().slice(-2)).toEqual(["SetPresence", "DELETE /app/session"]);
    expect(srv.csrf).toBe("");
    await expect(h.app.Conversations()).rejects.toEqual({ kind: "signed_out", message: "Sign in first." });
    // The last account's delivered items are still listed; nothing is sent.
    expect((await h.app.Outbox()).map((i) => i.client_id)).toEqual([item.client_id]);
  });

  it("opens offline with the inbox it last saw and the conversations opened, until the server answers; signing out forgets them", async () => {
    const seen = `seen-offline-${dbs}`;
    const a = host(seen);
    await a.h.app.SignIn("", "agnes@example.com", "pw");
    await a.h.app.Open("c1");
    await new Promise((r) => setTimeout(r, 1_300)); // the inbox is kept at most once a second

    // The app opens again without a network: the last inbox shows, marked offline, and c1 reads as it was.
    srv.down = true;
    const b = host(seen);
    const shown = b.next("session", (d) => (d as SessionView).ready);
    await b.h.app.State();
    expect(await shown).toMatchObject({ signed_in: true, ready: true, workspace_id: "w1", user_id: "u1", connection: "offline" });
    expect((await b.h.app.Conversations()).map((c) => (c as { id: string }).id)).toEqual(["c1"]);
    expect((await b.h.app.Directory()).my_groups).toEqual(["g1"]);
    expect((await b.h.app.Open("c1")).history.map((m) => decode.message(m).id)).toEqual(["m1", "m2"]);
    await expect(b.h.app.Open("c9")).rejects.toMatchObject({ kind: "offline" });
    const queued = await b.h.app.Reply("c1", "Typed offline", []);
    expect(queued.state).toBe("queued");

    // The server answers: the live inbox replaces the kept one, and the reply goes.
    const live = b.next("inbox:reset");
    const sent = b.next("outbox", (d) => (d as OutboxItem).state === "delivered");
    srv.down = false;
    await live;
    await sent;
    expect(srv.calls.filter((c) => c.method === "SendMessage").map((c) => c.body["body"])).toEqual(["Typed offline"]);

    // Signing out forgets what was seen: offline, nothing shows.
    await b.h.app.SignOut();
    srv.csrf = "csrf-again"; // a session cookie of the same person left behind
    srv.down = true;
    const c = host(seen);
    const s = await c.h.app.State();
    await new Promise((r) => setTimeout(r, 200));
    expect(s.ready).toBe(false);
    await expect(c.h.app.Conversations()).rejects.toMatchObject({ kind: "offline" });
    // Nothing of this test runs on into the next: the cookie goes, every tab is signed out.
    srv.down = false;
    for (const x of [c, b, a]) await x.h.app.SignOut();
    expect(srv.csrf).toBe("");
  });

  it("takes up the session the browser holds, and ends it when the server refuses it", async () => {
    srv.csrf = "csrf-held";
    storage.setItem("tandem.profile", JSON.stringify({ email: "agnes@example.com", user_id: "u1", user_name: "Agnes Agent", signed_in: true }));
    storage.setItem("tandem.workspace.u1", "w2");
    const { h, next } = host();
    const ready = next("session", (d) => (d as SessionView).ready);
    const s = await h.app.State();
    expect(s).toMatchObject({ signed_in: true, ready: false, user_id: "u1", connection: "connecting" });
    expect((await ready) as SessionView).toMatchObject({ workspace_id: "w2", role: "admin" });
    expect(srv.calls.find((c) => c.method === "ListMembers")?.body).toMatchObject({ workspaceId: "w2" });

    // Another tab signs in again: this tab's next call is refused here, and the tab follows the new session.
    srv.csrf = "csrf-other";
    const again = next("session", (d) => (d as SessionView).ready);
    await expect(h.app.Conversations()).resolves.toHaveLength(1); // the inbox in memory needs no request
    await expect(h.app.MarkRead("c1")).rejects.toMatchObject({ kind: "signed_out", message: "You signed out, or signed in again, in another tab." });
    expect(srv.calls.filter((c) => c.method === "MarkRead")).toHaveLength(0); // never sent with the other session
    expect((await again) as SessionView).toMatchObject({ signed_in: true, ready: true, user_id: "u1" });
    expect(srv.calls.filter((c) => c.method === "WhoAmI").map((c) => c.csrf)).toEqual(["csrf-held", "csrf-other"]);

    // The server ends the session: signed out with Go's notice, and the cookie cleared.
    srv.refuse.add("Watch").add("WhoAmI");
    const ended = next("session", (d) => !(d as SessionView).signed_in);
    srv.drop();
    expect(((await ended) as SessionView).notice).toBe("Your session has ended. Sign in again; anything you wrote is kept and sent after you do.");
    for (let i = 0; i < 50 && srv.csrf !== ""; i++) await new Promise((r) => setTimeout(r, 10));
    expect(srv.methods().at(-1)).toBe("DELETE /app/session");
    expect(srv.calls.at(-1)?.csrf).toBe("csrf-other");
    expect(JSON.parse(storage.getItem("tandem.profile")!)).toMatchObject({ user_id: "u1", signed_in: false });
  });
});
