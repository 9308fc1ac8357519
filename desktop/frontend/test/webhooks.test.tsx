// @vitest-environment happy-dom
// The webhook deliveries screen: each call in words (status, URL, the rule
// or button and its event, attempts and the last answer, when), the
// dead-letter filter, redelivery (the row turns pending; a refusal is
// shown on the row), older pages, and who finds it in Settings.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { CustomActionSchema, RuleSchema, RuleTrigger, WebhookDeliverySchema, WebhookDeliveryStatus } from "@api/automation_pb.js";
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AppError, SessionView, WebhookPage } from "../src/bridge";
import { resultText, sourceText, whenText } from "../src/logic/webhooks";
import { session } from "../src/state";
import { Settings } from "../src/ui/Settings";
import { Webhooks, webhooksOpen } from "../src/ui/Webhooks";
import { sourcesOf, webhookStatus } from "../src/web/bind/webhooks";

const now = Date.parse("2026-12-03T10:00:00Z");
const delivery = (over: MessageInitShape<typeof WebhookDeliverySchema>) =>
  create(WebhookDeliverySchema, { id: "d1", url: "https://hooks.shop.example/tandem", sourceId: "r1", createTimeMs: BigInt(now - 60_000), ...over });

describe("a webhook delivery in words", () => {
  it("names the rule and its event, or the button", () => {
    expect(sourceText({ kind: "rule", name: "Tell the shop", trigger: "RULE_TRIGGER_CONVERSATION_CREATED" })).toBe("Rule “Tell the shop” on new conversation");
    expect(sourceText({ kind: "rule", name: "Later", trigger: "RULE_TRIGGER_FROM_A_NEWER_SERVER" })).toBe("Rule “Later”");
    expect(sourceText({ kind: "button", name: "Refund" })).toBe("Button “Refund” pressed");
    expect(sourceText(undefined)).toBe("A rule or button deleted since");
  });

  it("says how the last attempt went", () => {
    expect(resultText(delivery({ attempts: 0 }))).toBe("Not tried yet");
    expect(resultText(delivery({ attempts: 8, lastStatusCode: 500, lastError: "the receiver answered 500" }))).toBe("8 attempts, last: the receiver answered 500");
    expect(resultText(delivery({ attempts: 1, lastError: "the address is not public" }))).toBe("1 attempt, last: the address is not public");
    expect(resultText(delivery({ attempts: 1, lastStatusCode: 200 }))).toBe("1 attempt, last: HTTP 200");
  });

  it("says when, and when a pending one is tried next", () => {
    const pending = delivery({ status: WebhookDeliveryStatus.PENDING, nextAttemptTimeMs: BigInt(now + 5 * 60_000) });
    expect(whenText(pending, now)).toMatch(/^Queued .+, next attempt in 5m$/);
    expect(whenText({ ...pending, nextAttemptTimeMs: BigInt(now) }, now)).toMatch(/, next attempt now$/);
    expect(whenText(delivery({ status: WebhookDeliveryStatus.DELIVERED, deliveredTimeMs: BigInt(now) }), now)).toMatch(/^Queued .+, delivered .+$/);
    expect(whenText(delivery({ status: WebhookDeliveryStatus.DEAD }), now)).toMatch(/^Queued [^,]+$/);
  });
});

describe("the web host's webhook methods", () => {
  it("map the filters, refusing others", () => {
    expect(webhookStatus("")).toBe(WebhookDeliveryStatus.UNSPECIFIED);
    expect(webhookStatus("dead")).toBe(WebhookDeliveryStatus.DEAD);
    expect(webhookStatus("failed")).toBeUndefined();
    expect(webhookStatus("toString")).toBeUndefined();
  });

  it("name only the rules and buttons the page's calls came from, as Go does", () => {
    const rules = [create(RuleSchema, { id: "r1", name: "Tell the shop", trigger: RuleTrigger.SLA_BREACH }), create(RuleSchema, { id: "r2", name: "Unused" })];
    const buttons = [create(CustomActionSchema, { id: "b1", label: "Refund" })];
    expect(sourcesOf([delivery({}), delivery({ id: "d2", sourceId: "b1" }), delivery({ id: "d3", sourceId: "gone" })], rules, buttons)).toEqual({
      r1: { kind: "rule", name: "Tell the shop", trigger: "RULE_TRIGGER_SLA_BREACH" },
      b1: { kind: "button", name: "Refund" },
    });
  });
});

const json = {
  dead: { id: "d1", url: "https://hooks.shop.example/tandem", sourceId: "r1", status: "WEBHOOK_DELIVERY_STATUS_DEAD", attempts: 8, lastStatusCode: 500,
    lastError: "the receiver answered 500", createTimeMs: "1000" },
  delivered: { id: "d2", url: "https://crm.example/in", sourceId: "b1", status: "WEBHOOK_DELIVERY_STATUS_DELIVERED", attempts: 1, lastStatusCode: 200,
    createTimeMs: "900", deliveredTimeMs: "950" },
  older: { id: "d3", url: "https://old.example/x", sourceId: "gone", status: "WEBHOOK_DELIVERY_STATUS_DEAD", attempts: 8, lastError: "the address is not public",
    createTimeMs: "500" },
};
const sources = { r1: { kind: "rule", name: "Tell the shop", trigger: "RULE_TRIGGER_CONVERSATION_CREATED" }, b1: { kind: "button", name: "Refund" } } as const;

describe("the webhook deliveries screen", () => {
  let root: HTMLElement;
  let calls: unknown[][];
  let refuse: AppError | null;
  beforeEach(() => {
    calls = [];
    refuse = null;
    root = document.createElement("div");
    document.body.append(root);
    session.value = { signed_in: true, ready: true, role: "admin", user_id: "u1", workspace_id: "w1" } as SessionView;
    (globalThis as unknown as { go: unknown }).go = {
      app: {
        App: {
          WebhookDeliveries: (status: string, token: string): Promise<WebhookPage> => {
            calls.push(["WebhookDeliveries", status, token]);
            if (token === "p2") return Promise.resolve({ deliveries: [json.older], more: "", sources: {} });
            const all = [json.dead, json.delivered];
            return Promise.resolve({ deliveries: status === "dead" ? [json.dead] : all, more: status === "" ? "p2" : "", sources });
          },
          RedeliverWebhook: (id: string) => {
            calls.push(["RedeliverWebhook", id]);
            if (refuse) return Promise.reject(refuse);
            return Promise.resolve({ ...json.dead, status: "WEBHOOK_DELIVERY_STATUS_PENDING", attempts: 0, lastStatusCode: 0, lastError: "", nextAttemptTimeMs: "1000" });
          },
          NotificationPrefs: () => Promise.resolve({}),
          PushState: () => Promise.resolve({ supported: false, on: false, blocked: false, note: "" }),
        },
      },
    };
  });
  afterEach(() => {
    act(() => {
      webhooksOpen.value = false;
    });
    render(null, root);
    root.remove();
  });

  const settle = async (done: () => boolean) => {
    for (let i = 0; i < 40 && !done(); i++) await act(() => new Promise((r) => setTimeout(r, 5)));
    expect(done()).toBe(true);
  };
  const button = (text: string, within: ParentNode = root) =>
    Array.from(within.querySelectorAll("button")).find((b) => b.textContent === text) as HTMLButtonElement | undefined;
  const rows = () => Array.from(root.querySelectorAll<HTMLLIElement>(".hooks li"));
  const open = async () => {
    await act(async () => {
      webhooksOpen.value = true;
      render(<Webhooks />, root);
    });
    await settle(() => rows().length > 0);
  };

  it("lists the calls in words and filters to the dead letters", async () => {
    await open();
    expect(root.querySelector("[role=dialog]")?.getAttribute("aria-labelledby")).toBe("webhooks-title");
    const [dead, ok] = rows();
    expect(dead!.querySelector(".hook-status")?.textContent).toBe("Dead letter");
    expect(dead!.textContent).toContain("https://hooks.shop.example/tandem");
    expect(dead!.textContent).toContain("Rule “Tell the shop” on new conversation");
    expect(dead!.querySelector(".error")?.textContent).toBe("8 attempts, last: the receiver answered 500");
    expect(button("Redeliver", dead)?.getAttribute("aria-describedby")).toBe("hook-url-d1");
    expect(ok!.querySelector(".hook-status")?.textContent).toBe("Delivered");
    expect(ok!.textContent).toContain("Button “Refund” pressed");
    expect(button("Redeliver", ok)).toBeUndefined(); // only dead letters

    const deadOnly = root.querySelector<HTMLInputElement>("input[name=hook-filter][value=dead]")!;
    await act(async () => deadOnly.click());
    await settle(() => rows().length === 1);
    expect(calls).toEqual([["WebhookDeliveries", "", ""], ["WebhookDeliveries", "dead", ""]]);
  });

  it("redelivers a dead letter, which then shows as pending", async () => {
    await open();
    await act(async () => button("Redeliver", rows()[0])!.click());
    await settle(() => rows()[0]!.querySelector(".hook-status")?.textContent === "Pending");
    expect(calls).toContainEqual(["RedeliverWebhook", "d1"]);
    expect(button("Redeliver", rows()[0])).toBeUndefined();
    expect(rows()[0]!.textContent).toContain("Not tried yet");
    expect(root.querySelector("[role=status]")?.textContent).toBe("Sent again to https://hooks.shop.example/tandem: pending.");
    expect(document.activeElement).toBe(rows()[0]);
  });

  it("shows a refused redelivery on its row, plainly", async () => {
    refuse = { kind: "forbidden", message: "You may not do that in this workspace." };
    await open();
    await act(async () => button("Redeliver", rows()[0])!.click());
    await settle(() => !!rows()[0]!.querySelector("[role=alert]"));
    const alert = rows()[0]!.querySelector("[role=alert]")!.textContent;
    expect(alert).toContain("Not allowed.");
    expect(alert).toContain("You may not do that in this workspace.");
    expect(alert).toContain("Only the workspace's admins and owners");
    expect(rows()[0]!.querySelector(".hook-status")?.textContent).toBe("Dead letter");
    expect(button("Redeliver", rows()[0])?.disabled).toBe(false); // try again
  });

  it("shows older calls on request", async () => {
    await open();
    await act(async () => button("Show older")!.click());
    await settle(() => rows().length === 3);
    expect(rows()[2]!.textContent).toContain("A rule or button deleted since");
    expect(calls).toContainEqual(["WebhookDeliveries", "", "p2"]);
    expect(button("Show older")).toBeUndefined();
  });

  it("is in Settings for admins and owners only, and shows nothing to an agent", async () => {
    const settings = async () => {
      await act(async () => render(<Settings agent={null} onAgent={() => {}} onClose={() => {}} />, root));
      return button("Webhook deliveries…");
    };
    const entry = await settings();
    expect(entry).toBeDefined();
    await act(async () => entry!.click());
    expect(webhooksOpen.value).toBe(true);
    render(null, root);

    session.value = { ...session.value!, role: "agent" };
    expect(await settings()).toBeUndefined();
    await act(async () => render(<Webhooks />, root));
    expect(root.querySelector("[role=dialog]")).toBeNull();
    expect(calls).toEqual([]);
  });
});
