// Web Push switched on and off in the web app (src/web/push.ts), against a
// scripted PushManager and server: permission first, the server's key, one
// subscription given to every workspace, a subscription made with another
// key replaced, and signing out taking it back. Chromium and the real push
// path are in test/browser/app.test.mjs and backend/internal/push.
import { create } from "@bufbuild/protobuf";
import { MembershipSchema } from "@api/auth_pb.js";
import { describe, expect, it } from "vitest";
import { fromBase64url, Push, type PushEnv } from "../src/web/push";
import type { Clients } from "../src/web/transport";

const key = "BOr7VYQnVBBqRnBpa1QJ4s4Jq3G6yZ5Yc1x2V4y8sXb3qLhWb5e6tnrQ8Zk7o0Zy4cQmYtG0F2b7w3QvXk1Lq8s";

class FakeSub {
  gone = false;
  constructor(
    readonly endpoint: string,
    readonly options: { applicationServerKey: ArrayBuffer | null },
  ) {}
  toJSON() {
    return { endpoint: this.endpoint, keys: { p256dh: "p-key", auth: "a-key" } };
  }
  async unsubscribe() {
    this.gone = true;
    return true;
  }
}

class FakeManager {
  sub: FakeSub | null = null;
  made = 0;
  async getSubscription() {
    return this.sub && !this.sub.gone ? this.sub : null;
  }
  async subscribe(o: { userVisibleOnly: boolean; applicationServerKey: Uint8Array }) {
    expect(o.userVisibleOnly).toBe(true);
    this.sub = new FakeSub(`https://push.example/${++this.made}`, { applicationServerKey: o.applicationServerKey.slice().buffer });
    return this.sub;
  }
}

function setup(perm: NotificationPermission, answer: NotificationPermission = perm) {
  const pm = new FakeManager();
  const state = { perm, asked: 0 };
  const env: PushEnv = {
    manager: async () => pm as unknown as PushManager,
    permission: () => state.perm,
    request: async () => {
      state.asked++;
      state.perm = answer;
      return answer;
    },
  };
  const calls: [string, Record<string, unknown>][] = [];
  const clients = {
    notifications: {
      getPushConfig: async (r: Record<string, unknown>) => (calls.push(["config", r]), { vapidPublicKey: key }),
      subscribePush: async (r: Record<string, unknown>) => (calls.push(["subscribe", r]), {}),
      unsubscribePush: async (r: Record<string, unknown>) => (calls.push(["unsubscribe", r]), {}),
    },
  } as unknown as Clients;
  const ms = ["w1", "w2"].map((id) => create(MembershipSchema, { workspaceId: id }));
  return { pm, state, env, calls, clients, ms, push: new Push(env, () => undefined) };
}

describe("web push", () => {
  it("decodes the VAPID key as subscribe takes it", () => {
    const b = fromBase64url(key);
    expect(b.length).toBe(65);
    expect(b[0]).toBe(4); // an uncompressed P-256 point
  });

  it("asks first, subscribes once with the server's key and gives the subscription to every workspace", async () => {
    const t = setup("default", "granted");
    expect(await t.push.state()).toMatchObject({ supported: true, on: false, blocked: false });
    const v = await t.push.enable(t.clients, t.ms);
    expect(v).toMatchObject({ supported: true, on: true });
    expect(t.state.asked).toBe(1);
    expect(new Uint8Array(t.pm.sub!.options.applicationServerKey!)).toEqual(fromBase64url(key));
    expect(t.calls).toEqual([
      ["config", { workspaceId: "w1" }],
      ["subscribe", { workspaceId: "w1", endpoint: "https://push.example/1", p256dh: "p-key", auth: "a-key" }],
      ["subscribe", { workspaceId: "w2", endpoint: "https://push.example/1", p256dh: "p-key", auth: "a-key" }],
    ]);

    // Again (another sign-in): the same subscription, handed over again.
    t.calls.length = 0;
    await t.push.sync(t.clients, t.ms);
    expect(t.pm.made).toBe(1);
    expect(t.calls.map((c) => c[0])).toEqual(["subscribe", "subscribe"]);
  });

  it("replaces a subscription made with another server's key", async () => {
    const t = setup("granted");
    const old = new FakeSub("https://push.example/old", { applicationServerKey: new Uint8Array(65).buffer });
    t.pm.sub = old;
    await t.push.enable(t.clients, t.ms);
    expect(old.gone).toBe(true);
    expect(t.pm.sub?.endpoint).toBe("https://push.example/1");
  });

  it("does nothing the person refused, and says so", async () => {
    const t = setup("default", "denied");
    expect(await t.push.enable(t.clients, t.ms)).toMatchObject({ supported: true, on: false, blocked: true });
    expect(t.calls).toEqual([]);
    await t.push.sync(t.clients, t.ms);
    expect(t.calls).toEqual([]);
  });

  it("switching off (and signing out) takes the subscription back in every workspace and ends it", async () => {
    const t = setup("granted");
    await t.push.enable(t.clients, t.ms);
    const sub = t.pm.sub!;
    t.calls.length = 0;
    expect(await t.push.disable(t.clients, t.ms)).toMatchObject({ on: false });
    expect(t.calls).toEqual([
      ["unsubscribe", { workspaceId: "w1", endpoint: sub.endpoint }],
      ["unsubscribe", { workspaceId: "w2", endpoint: sub.endpoint }],
    ]);
    expect(sub.gone).toBe(true);
  });

  it("a browser without push says it cannot", async () => {
    const t = setup("default");
    const none: PushEnv = { ...t.env, manager: async () => null };
    const p = new Push(none, () => undefined);
    expect(await p.state()).toMatchObject({ supported: false, on: false });
    const unsupported: PushEnv = { ...t.env, permission: () => "unsupported" };
    await expect(new Push(unsupported, () => undefined).enable(t.clients, t.ms)).rejects.toMatchObject({ kind: "invalid" });
  });
});
