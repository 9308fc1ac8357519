import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { GetWidgetConfigResponseSchema, WidgetCustomActionSchema } from "@api/widget_pb.js";
import { describe, expect, test } from "vitest";
import { fingerprint, Saved, Session, type SessionApi } from "./session";
import { deferred, memory } from "./testing";

/** rig is a Session over a scripted server that records the calls it gets. */
function rig(opts: { configFails?: Code[]; actionsFail?: boolean; sessionFails?: number } = {}) {
  const calls: { name: string; req: Record<string, unknown>; token: string }[] = [];
  const events: string[] = [];
  const hooks = { onLoaded: () => {} };
  let tokens = 0;
  const configFails = [...(opts.configFails ?? [])];
  let sessionFails = opts.sessionFails ?? 0;
  const api: SessionApi = {
    token: "",
    client: {
      startSession: async (req: Record<string, unknown>) => {
        calls.push({ name: "startSession", req, token: api.token });
        if (sessionFails-- > 0) throw new ConnectError("down", Code.Unavailable);
        return { token: `t${++tokens}` };
      },
      getWidgetConfig: async () => {
        calls.push({ name: "getWidgetConfig", req: {}, token: api.token });
        const code = configFails.shift();
        if (code !== undefined) throw new ConnectError("no", code);
        return create(GetWidgetConfigResponseSchema, { workspaceName: "Shop" });
      },
      listCustomActions: async () => {
        calls.push({ name: "listCustomActions", req: {}, token: api.token });
        if (opts.actionsFail) throw new ConnectError("no", Code.Internal);
        return { actions: [create(WidgetCustomActionSchema, { id: "a1", label: "Track order" })] };
      },
      updateVisitor: async (req: Record<string, unknown>) => {
        calls.push({ name: "updateVisitor", req, token: api.token });
        return {};
      },
    } as unknown as SessionApi["client"],
  };
  const kv = memory();
  const saved = new Saved(kv, "tandem:pk");
  const session = new Session(api, saved, "pk", {
    personChanged: () => events.push("personChanged"),
    loaded: async () => {
      events.push("loaded");
      hooks.onLoaded();
    },
    failed: (err) => events.push(`failed: ${ConnectError.from(err).code}`),
  }, () => "Europe/Vienna");
  const names = () => calls.map((c) => c.name);
  return { api, saved, session, calls, events, names, kv, hooks };
}

describe("Session", () => {
  test("a first visit starts a session with what the store said, then loads the config and buttons", async () => {
    const { api, saved, session, calls, events, names } = rig();
    session.identity = { name: "Ann", email: "ann@example.com", attributes: { plan: "pro" }, identityJson: "{}", signature: "sig" };
    session.attributes = { cart: "250", plan: "free" };
    session.pageUrl = `https://shop.test/${"x".repeat(3000)}`;
    await session.prepare();
    expect(names()).toEqual(["startSession", "getWidgetConfig", "listCustomActions"]);
    expect(calls[0].req).toEqual({
      publicKey: "pk", name: "Ann", email: "ann@example.com", attributes: { cart: "250", plan: "pro" }, identityJson: "{}", identitySignature: "sig",
      timeZone: "Europe/Vienna", pageUrl: session.pageUrl.slice(0, 2048),
    });
    expect(calls[1].token).toBe("t1");
    expect(api.token).toBe("t1");
    expect(saved.token).toBe("t1");
    expect(saved.identity).toBe(fingerprint(session.identity));
    expect(saved.customerName).toBe("Ann");
    expect(session.config?.workspaceName).toBe("Shop");
    expect(session.actions.map((a) => a.id)).toEqual(["a1"]);
    expect(events).toEqual(["loaded"]);
  });

  test("a page load resumes the saved session, anonymous or for the same shopper", async () => {
    for (const identity of [null, { email: "ann@example.com" }]) {
      const { api, saved, session, names, events } = rig();
      saved.token = "old";
      saved.identity = identity ? fingerprint(identity) : "";
      session.identity = identity;
      await session.prepare();
      expect(names()).toEqual(["getWidgetConfig", "listCustomActions"]);
      expect(api.token).toBe("old");
      expect(events).toEqual(["loaded"]);
    }
  });

  test("a different shopper gets a new session, and the chat on screen is forgotten", async () => {
    const { api, saved, session, names, events } = rig();
    saved.token = "old";
    saved.identity = fingerprint({ email: "ann@example.com" });
    saved.conversation = "c1";
    session.identity = { email: "bob@example.com" };
    await session.prepare();
    expect(names()[0]).toBe("startSession");
    expect(api.token).toBe("t1");
    expect(saved.identity).toBe(fingerprint({ email: "bob@example.com" }));
    expect(events).toEqual(["personChanged", "loaded"]);
  });

  test("an expired token starts over once, without forgetting the chat", async () => {
    const { api, saved, session, names, events } = rig({ configFails: [Code.Unauthenticated] });
    saved.token = "old";
    await session.prepare();
    expect(names()).toEqual(["getWidgetConfig", "startSession", "getWidgetConfig", "listCustomActions"]);
    expect(api.token).toBe("t1");
    expect(events).toEqual(["loaded"]);
  });

  test("buttons that fail to load are none; a config that fails is reported and the next prepare tries again", async () => {
    const a = rig({ actionsFail: true });
    await a.session.prepare();
    expect(a.session.actions).toEqual([]);

    const b = rig({ configFails: [Code.Unavailable] });
    await expect(b.session.prepare()).rejects.toThrow();
    expect(b.events).toEqual([`failed: ${Code.Unavailable}`]);
    await b.session.prepare();
    expect(b.events).toEqual([`failed: ${Code.Unavailable}`, "loaded"]);
    expect(b.names().filter((n) => n === "startSession")).toHaveLength(1);
  });

  test("concurrent prepares share one", async () => {
    const { session, names, events } = rig();
    await Promise.all([session.prepare(), session.prepare(), session.prepare()]);
    expect(names()).toEqual(["startSession", "getWidgetConfig", "listCustomActions"]);
    expect(events).toEqual(["loaded"]);
  });

  test("identify: the same shopper keeps the session, another one gets a new one", async () => {
    const { session, names, events, hooks } = rig();
    session.identity = { email: "ann@example.com" };
    await session.prepare();
    session.identify({ email: "ann@example.com" });
    expect(names()).toHaveLength(3);
    const loaded = deferred();
    hooks.onLoaded = () => loaded.resolve();
    session.identify({ email: "bob@example.com" });
    await loaded.promise;
    expect(names()).toEqual(["startSession", "getWidgetConfig", "listCustomActions", "startSession", "getWidgetConfig", "listCustomActions"]);
    expect(events).toEqual(["loaded", "personChanged", "loaded"]);
  });

  test("attributes are kept for later and told to a signed-in session at once", async () => {
    const { session, calls } = rig();
    session.setAttributes({ cart: "10" });
    expect(calls).toEqual([]);
    await session.prepare();
    session.setAttributes({ cart: "250" });
    expect(calls.at(-1)).toEqual({ name: "updateVisitor", req: { attributes: { cart: "250" } }, token: "t1" });
    expect(session.attributes).toEqual({ cart: "250" });
    session.attributes = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, String(i)]));
    expect(Object.keys(session.customFields())).toHaveLength(20);
  });

  test("expired forgets the saved token", () => {
    const { saved, session, kv } = rig();
    saved.token = "old";
    session.expired();
    expect(saved.token).toBe("");
    expect(kv.data.has("tandem:pk:token")).toBe(false);
  });
});
