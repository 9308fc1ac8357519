// The web host: the agent app's views in a browser, served by tandemd at
// /app, with this TypeScript doing what the desktop's Go side does (the
// session, the live inbox, the outbox, notifications) through the same
// API. createWebHost builds it; the page's entry (main.tsx) hands it to
// the bridge before rendering.
import type { Bound, Host } from "../bridge";
import { appBinds } from "./bind/app";
import { currentCsrf } from "./cookie";
import { Core, type Env } from "./core";
import { fromError } from "./errors";
import { pageLocks } from "./locks";
import { browserPage } from "./notifications";
import { Outbox } from "./outbox";
import { OutboxDB } from "./outboxdb";
import { browserPush } from "./push";
import { Seen } from "./seen";

/** openOutboxDB opens the outbox and sweeps what no waiting item needs any more. */
async function openOutboxDB(): Promise<OutboxDB> {
  const started = Date.now();
  const db = await OutboxDB.open();
  await db.sweep(started).catch((e: unknown) => console.warn("tandem: sweep outbox", e));
  return db;
}

function defaults(): Env {
  return {
    origin: typeof location === "undefined" ? "" : location.origin,
    storage: typeof localStorage === "undefined" ? null : localStorage,
    readCsrf: currentCsrf,
    page: browserPage,
    openDB: openOutboxDB,
    newOutbox: (db, core) =>
      new Outbox({
        db,
        locks: pageLocks(),
        viewer: () => core.identity(),
        onChange: (it) => core.events.emit("outbox", it),
        channel: typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("tandem-outbox"),
        log: (msg, err) => console.warn(`tandem: ${msg}`, err),
      }),
    openSeen: () => Seen.open(),
    push: browserPush,
    log: (msg, err) => console.info(`tandem: ${msg}`, err ?? ""),
  };
}

/**
 * guarded makes every method reject with an AppError, the one shape the
 * views read, whatever failed underneath.
 */
function guarded(app: Bound, core: Core): Bound {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(app) as [string, (...a: unknown[]) => Promise<unknown>][]) {
    out[name] = async (...args: unknown[]) => {
      try {
        return await f(...args);
      } catch (err) {
        const e = fromError(err);
        if (e.kind === "signed_out" && core.sess) core.checkCookie(); // another tab may have signed in or out
        throw e;
      }
    };
  }
  return out as unknown as Bound;
}

/** linkOf reads the conversation a page link names (#conversation=ID&workspace=ID), or null. */
export function linkOf(hash: string): { conversationId: string; workspaceId: string } | null {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  const conversationId = q.get("conversation") ?? "";
  return conversationId ? { conversationId, workspaceId: q.get("workspace") ?? "" } : null;
}

/** follow wires the page's events: the network coming and going, the page seen again, another tab signing in or out. */
function follow(core: Core, tabs: BroadcastChannel | null): void {
  if (tabs) tabs.onmessage = () => core.checkCookie();
  if (typeof window === "undefined") return;
  // A push notification clicked while the app is open: the service worker
  // (backend/webapp/sw.js) asks this page to show its conversation.
  navigator.serviceWorker?.addEventListener("message", (e: MessageEvent) => {
    const d = e.data as { type?: unknown; conversation_id?: unknown; workspace_id?: unknown } | null;
    if (d?.type === "open" && typeof d.conversation_id === "string") {
      core.openConversation(d.conversation_id, "", typeof d.workspace_id === "string" ? d.workspace_id : "");
    }
  });
  // A push notification clicked while the app was closed opens /app/#conversation=...&workspace=...
  const link = linkOf(location.hash);
  if (link) {
    core.openLater(link.conversationId, link.workspaceId);
    history.replaceState(null, "", location.pathname + location.search);
  }
  window.addEventListener("online", () => core.retryNow());
  window.addEventListener("offline", () => core.offline());
  window.addEventListener("focus", () => core.checkCookie());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    core.checkCookie();
    core.retryNow();
  });
}

/** createWebHost builds the browser host; parts of its environment may be replaced (tests). */
export function createWebHost(env: Partial<Env> = {}): Host {
  // Tabs tell each other when they sign in or out; each then looks at the cookie.
  const tabs = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("tandem-session");
  const core = new Core({ announce: () => tabs?.postMessage("changed"), ...defaults(), ...env });
  follow(core, tabs);
  return { app: guarded(appBinds(core), core), on: (name, cb) => core.events.on(name, cb) };
}
