// Web Push on this device: the server's notifications reach the person
// while the app is closed (backend/internal/push). The browser subscribes
// with the server's VAPID key and the subscription is handed to the server
// in each of the account's workspaces; the service worker (sw.js) shows
// what arrives. Switching it on needs the person's click (the browser asks
// for permission then); signing out ends it on this device, so the next
// person to sign in here is not notified of the last one's chats.
import type { Membership } from "@api/auth_pb.js";
import type { PushView } from "../bridge";
import { appError } from "./errors";
import type { Clients } from "./transport";

/** What push needs from the browser (tests replace it). */
export interface PushEnv {
  /** The push manager of the app's service worker, or null where the browser has none. */
  manager(): Promise<PushManager | null>;
  /** The site's notification permission ("unsupported" without the Notification API). */
  permission(): NotificationPermission | "unsupported";
  /** request asks the person for permission (from a click). */
  request(): Promise<NotificationPermission>;
}

const swScope = "/app/";

/** registration finds the app's service worker, waiting a little for it on a first visit. */
async function registration(): Promise<ServiceWorkerRegistration | null> {
  const sw = navigator.serviceWorker;
  const reg = await sw.getRegistration(swScope);
  if (reg) return reg;
  const late = new Promise<null>((r) => setTimeout(() => r(null), 5_000));
  return Promise.race([sw.ready, late]);
}

/** browserPush is the page's PushManager and Notification permission. */
export const browserPush: PushEnv = {
  async manager() {
    if (typeof navigator === "undefined" || !("serviceWorker" in navigator) || typeof PushManager === "undefined") return null;
    return (await registration())?.pushManager ?? null;
  },
  permission: () => (typeof Notification === "undefined" ? "unsupported" : Notification.permission),
  request: () => Notification.requestPermission(),
};

const notes = {
  unsupported: "This browser cannot notify you while Tandem is closed. On an iPhone or iPad, add Tandem to the home screen first.",
  blocked: "Notifications are blocked for this site: allow them in the browser's site settings, then switch this on.",
  on: "This device is notified of new chats, handoffs and mentions while Tandem is closed.",
  off: "Get notified on this device while Tandem is closed.",
};

/** fromBase64url decodes the VAPID key as PushManager.subscribe takes it. */
export function fromBase64url(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function sameKey(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.length) return false;
  const x = new Uint8Array(a);
  return x.every((v, i) => v === b[i]);
}

/** Push switches this device's Web Push on and off for the signed-in account. */
export class Push {
  constructor(
    private readonly env: PushEnv,
    private readonly log: (msg: string, err?: unknown) => void,
  ) {}

  /** state says whether this device gets push notifications. */
  async state(): Promise<PushView> {
    const perm = this.env.permission();
    const pm = perm === "unsupported" ? null : await this.env.manager();
    if (!pm) return { supported: false, on: false, blocked: false, note: notes.unsupported };
    if (perm === "denied") return { supported: true, on: false, blocked: true, note: notes.blocked };
    const on = perm === "granted" && (await pm.getSubscription()) !== null;
    return { supported: true, on, blocked: false, note: on ? notes.on : notes.off };
  }

  /**
   * enable asks for permission (the caller runs from a click), subscribes
   * the browser with the server's key and gives the subscription to the
   * server in each workspace.
   */
  async enable(clients: Clients, ms: Membership[]): Promise<PushView> {
    if (this.env.permission() === "unsupported") throw appError("invalid", notes.unsupported);
    const perm = await this.env.request();
    if (perm !== "granted") return this.state();
    const pm = await this.env.manager();
    if (!pm) throw appError("invalid", notes.unsupported);
    const first = ms[0];
    if (!first) throw appError("forbidden", "You're not a member of any workspace on this server yet.");
    const cfg = await clients.notifications.getPushConfig({ workspaceId: first.workspaceId });
    const key = fromBase64url(cfg.vapidPublicKey);
    let sub = await pm.getSubscription();
    if (sub && !sameKey(sub.options.applicationServerKey, key)) {
      await sub.unsubscribe(); // made with another server's key: its pushes would be refused
      sub = null;
    }
    sub ??= await pm.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    await this.give(clients, ms, sub);
    return this.state();
  }

  /**
   * sync hands an existing subscription to the server again (after a
   * sign-in, or in a workspace joined since): the server keeps one per
   * endpoint, so repeating it is harmless.
   */
  async sync(clients: Clients, ms: Membership[]): Promise<void> {
    if (this.env.permission() !== "granted") return;
    const sub = await (await this.env.manager())?.getSubscription();
    if (sub) await this.give(clients, ms, sub);
  }

  /** disable takes the subscription back from the server and ends it in the browser. */
  async disable(clients: Clients, ms: Membership[]): Promise<PushView> {
    const pm = this.env.permission() === "unsupported" ? null : await this.env.manager();
    const sub = await pm?.getSubscription();
    if (sub) {
      const results = await Promise.allSettled(ms.map((m) => clients.notifications.unsubscribePush({ workspaceId: m.workspaceId, endpoint: sub.endpoint })));
      for (const r of results) if (r.status === "rejected") this.log("unsubscribe push", r.reason);
      await sub.unsubscribe();
    }
    return this.state();
  }

  private async give(clients: Clients, ms: Membership[], sub: PushSubscription): Promise<void> {
    const keys = sub.toJSON().keys ?? {};
    const p256dh = keys["p256dh"] ?? "";
    const auth = keys["auth"] ?? "";
    for (const m of ms) {
      await clients.notifications.subscribePush({ workspaceId: m.workspaceId, endpoint: sub.endpoint, p256dh, auth });
    }
  }
}
