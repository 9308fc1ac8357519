import { describe, expect, it } from "vitest";
import type { OutboxItem } from "../src/bridge";
import { describe as show, failedCount, merge, pending } from "../src/logic/outbox";
import { msg } from "./fixtures";

const item = (over: Partial<OutboxItem>): OutboxItem => ({
  server: "s", user_id: "u", workspace_id: "w", conversation_id: "c1", kind: "reply", body: "hi",
  client_id: "id1", state: "queued", order: 1, create_time_ms: 0, update_time_ms: 0, ...over,
});

describe("outbox display", () => {
  it("says where each item stands", () => {
    expect(show(item({}), true, true)).toMatchObject({ label: "Sending…", tone: "quiet", canEdit: false });
    expect(show(item({}), true, false)).toMatchObject({ label: "Queued: will be sent when the connection is back", tone: "waiting", canEdit: true });
    expect(show(item({ reason: "Can't reach the Tandem server." }), true, true).label).toBe("Queued: Can't reach the Tandem server.");
    expect(show(item({}), false, true)).toMatchObject({ label: "Queued: waiting for you to sign in", tone: "waiting" });
    expect(show(item({ state: "failed", reason: "This conversation is closed." }), true, true)).toEqual({
      label: "Not sent: This conversation is closed.", tone: "error", canRetry: true, canEdit: true,
    });
    expect(show(item({ state: "delivered" }), true, true).label).toBe("Sent");
  });

  it("keeps items under the history until their message arrives", () => {
    const items = [item({ client_id: "a", order: 2 }), item({ client_id: "b", order: 1, state: "delivered" }), item({ client_id: "c", conversation_id: "other" })];
    expect(pending(items, "c1", []).map((i) => i.client_id)).toEqual(["b", "a"]);
    expect(pending(items, "c1", [msg({ id: "m", clientId: "b" })]).map((i) => i.client_id)).toEqual(["a"]);
  });

  it("folds changes in and drops discarded items", () => {
    let m = new Map<string, OutboxItem>();
    m = merge(m, item({ client_id: "a" }));
    m = merge(m, item({ client_id: "b", state: "failed" }));
    expect(failedCount(m.values())).toBe(1);
    m = merge(m, item({ client_id: "b", state: "discarded" }));
    expect([...m.keys()]).toEqual(["a"]);
    expect(failedCount(m.values())).toBe(0);
  });
});
