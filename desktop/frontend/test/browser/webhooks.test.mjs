// The webhook deliveries screen of the agent web app in Debian Chromium
// against a real `tandemd --demo` (HOOK-02): a rule's webhook whose
// receiver keeps failing is dead-lettered; the owner opens "Webhook
// deliveries" from Settings, sees the dead letter in words, filters to
// the dead letters, redelivers it once the receiver is back (pending at
// once, then delivered). An agent's Settings has no such entry. This is
// the web host's binding (src/web/bind/webhooks.ts) against the real API;
// the desktop's is internal/app/webhooks_test.go.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { Agent, buildTandemd, ensureArtifacts, eventually, launchBrowser, newPage, startTandemd } from "../../../../backend/webwidget/test/browser/harness.mjs";

let server;
let browser;
let receiver;
let up = false;
let calls = 0;

before(async () => {
  receiver = createServer((req, res) => {
    calls++;
    req.resume();
    res.writeHead(up ? 200 : 500).end();
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  server = await startTandemd(buildTandemd(), { TANDEM_WEBHOOK_ALLOW: "127.0.0.1/32", TANDEM_WEBHOOK_RETRY_BASE: "1ms" });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((r) => (receiver ? receiver.close(r) : r()));
});

async function signIn(page, email) {
  await page.goto(server.url + "/app/");
  await page.locator("#email").fill(email);
  await page.locator("#password").fill("tandem-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("main.panes").waitFor();
}

describe("webhook deliveries in the web app", () => {
  test("the owner sees a dead letter and redelivers it; an agent has no entry", async () => {
    const dir = ensureArtifacts();
    const owner = await new Agent(server.url).login("owner@demo.tandem");
    const [ws] = (await owner.call("WorkspaceService", "ListWorkspaces", {})).workspaces;
    const hook = `http://127.0.0.1:${receiver.address().port}/hooks`;
    await owner.call("AutomationService", "CreateRule", {
      workspaceId: ws.id,
      rule: { name: "Tell the shop", enabled: true, trigger: "RULE_TRIGGER_CONVERSATION_CREATED", actions: [{ callWebhook: { url: hook, secret: "a secret of sixteen bytes or more" } }] },
    });
    const visitor = new Agent(server.url);
    visitor.token = (await visitor.call("WidgetService", "StartSession", { publicKey: server.key, name: "Ada" })).token;
    await visitor.call("WidgetService", "StartConversation", { clientId: crypto.randomUUID(), body: "Where is my parcel?" });
    await eventually(async () => (await owner.call("AutomationService", "ListWebhookDeliveries", { workspaceId: ws.id, status: "WEBHOOK_DELIVERY_STATUS_DEAD" })).deliveries?.length === 1, "a dead letter");

    const { page, errors } = await newPage(browser);
    await signIn(page, "owner@demo.tandem");
    await page.locator("#settings-button").click();
    await page.getByRole("button", { name: "Webhook deliveries…" }).click();
    const dialog = page.getByRole("dialog", { name: "Webhook deliveries" });
    const row = dialog.locator(".hooks li").first();
    await row.locator(".hook-status", { hasText: "Dead letter" }).waitFor();
    assert.equal(await row.locator(".hook-url").textContent(), hook);
    assert.match(await row.textContent(), /Rule “Tell the shop” on new conversation/);
    assert.match(await row.textContent(), /8 attempts, last: the receiver answered 500/);
    await dialog.getByRole("radio", { name: "Dead letters" }).check();
    await eventually(async () => (await dialog.locator(".hooks li").count()) === 1, "the dead letters only");
    await page.screenshot({ path: join(dir, "app-webhooks-dead.png") });

    up = true;
    await row.getByRole("button", { name: "Redeliver" }).click();
    await row.locator(".hook-status", { hasText: "Pending" }).waitFor();
    await dialog.getByRole("status").filter({ hasText: `Sent again to ${hook}: pending.` }).waitFor();
    await eventually(async () => (await owner.call("AutomationService", "ListWebhookDeliveries", { workspaceId: ws.id, status: "WEBHOOK_DELIVERY_STATUS_DELIVERED" })).deliveries?.length === 1, "the redelivery delivered");
    await dialog.getByRole("radio", { name: "Delivered" }).check();
    const done = dialog.locator(".hooks li", { has: page.locator(".hook-status", { hasText: "Delivered" }) });
    await done.waitFor();
    assert.match(await done.textContent(), /1 attempt, last: HTTP 200/);
    assert.equal(calls, 9, "8 failed attempts, then the redelivery");
    await page.screenshot({ path: join(dir, "app-webhooks-delivered.png") });
    assert.deepEqual(errors, []);

    const agent = await newPage(browser);
    await signIn(agent.page, "agent@demo.tandem");
    await agent.page.locator("#settings-button").click();
    await agent.page.getByRole("dialog", { name: "Settings" }).waitFor();
    assert.equal(await agent.page.getByRole("button", { name: "Webhook deliveries…" }).count(), 0);
    await page.context().close();
    await agent.context.close();
  });
});
