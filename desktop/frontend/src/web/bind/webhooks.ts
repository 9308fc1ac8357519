// Webhook deliveries and their redelivery, for admins (app/bind_webhooks.go).
import { enumToJson } from "@bufbuild/protobuf";
import { RuleTriggerSchema, WebhookDeliverySchema, WebhookDeliveryStatus, type CustomAction, type Rule, type WebhookDelivery } from "@api/automation_pb.js";
import type { Bound, WebhookFilter, WebhookSource } from "../../bridge";
import type { Core } from "../core";
import { appError } from "../errors";
import { wire, wires } from "../wire";

/** webhookPageSize is how many deliveries a page holds (app.webhookPageSize). */
const webhookPageSize = 50;

const statuses: Record<WebhookFilter, WebhookDeliveryStatus> = {
  "": WebhookDeliveryStatus.UNSPECIFIED,
  pending: WebhookDeliveryStatus.PENDING,
  delivered: WebhookDeliveryStatus.DELIVERED,
  dead: WebhookDeliveryStatus.DEAD,
};

/** webhookStatus maps a filter's name, or undefined for one the app does not know. */
export function webhookStatus(name: string): WebhookDeliveryStatus | undefined {
  return Object.hasOwn(statuses, name) ? statuses[name as WebhookFilter] : undefined;
}

/** sourcesOf names the rules and buttons that made the deliveries' calls, by id (as Go does). */
export function sourcesOf(ds: WebhookDelivery[], rules: Rule[], buttons: CustomAction[]): Record<string, WebhookSource> {
  const used = new Set(ds.map((d) => d.sourceId));
  const out: Record<string, WebhookSource> = {};
  for (const r of rules) {
    if (used.has(r.id)) out[r.id] = { kind: "rule", name: r.name, trigger: enumToJson(RuleTriggerSchema, r.trigger) as string };
  }
  for (const b of buttons) {
    if (used.has(b.id)) out[b.id] = { kind: "button", name: b.label };
  }
  return out;
}

export function webhookBinds(c: Core): Pick<Bound, "WebhookDeliveries" | "RedeliverWebhook"> {
  return {
    /** WebhookDeliveries lists the webhook calls rules and buttons made, newest first, of one status or all. */
    async WebhookDeliveries(status, pageToken) {
      const st = webhookStatus(status);
      if (st === undefined) throw appError("invalid", "Show all deliveries, or the pending, delivered or dead ones.");
      const { sess, ws } = c.current();
      const auto = sess.net.clients.automation;
      const res = await auto.listWebhookDeliveries({ workspaceId: ws.id, status: st, pageSize: webhookPageSize, pageToken });
      const rules = await auto.listRules({ workspaceId: ws.id });
      const buttons = await auto.listCustomActions({ workspaceId: ws.id });
      return { deliveries: wires(WebhookDeliverySchema, res.deliveries), more: res.nextPageToken, sources: sourcesOf(res.deliveries, rules.rules, buttons.actions) };
    },

    /** RedeliverWebhook sends a delivery again with fresh retries and returns it, pending. */
    async RedeliverWebhook(deliveryId) {
      const { sess } = c.current();
      const res = await sess.net.clients.automation.redeliverWebhook({ deliveryId });
      return wire(WebhookDeliverySchema, res.delivery);
    },
  };
}
