// Spam quarantine (RATE-01) in the agent web app, in Debian Chromium
// against a real `tandemd --demo` whose chats may each store three
// messages at once: an address floods the widget past that, and the next
// chat from the same address (a customer's widget in the browser) is held
// as spam. The agent finds it under Spam only (a list from the server: the
// inbox's stream never carried it); its header says it is held; its only
// actions are Not spam and tags. Not spam lets it into the queue, where the agent takes it
// over and answers, and the customer gets the answer. Mark as spam from the
// More menu takes a chat out of the inbox into Spam again.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { ask, buildTandemd, ensureArtifacts, eventually, launchBrowser, newPage, openWidget, startTandemd, TIMEOUT } from "../../../../backend/webwidget/test/browser/harness.mjs";

const DESKTOP = { viewport: { width: 1280, height: 800 }, options: {} };

let server;
let browser;

before(async () => {
  server = await startTandemd(buildTandemd(), { TANDEM_WIDGET_WRITE_BURST: "3", TANDEM_WIDGET_WRITE_RATE: "0.01" });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** widget calls a widget procedure over Connect JSON from this process (the same address as the browser). */
async function widget(method, body, token = "") {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${server.url}/tandem.v1.WidgetService/${method}`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** flood drives one chat of this address past its budget of stored writes. */
async function flood() {
  const page = await (await fetch(`${server.url}/`)).text();
  const publicKey = /data-workspace="([^"]+)"/.exec(page)?.[1];
  assert.ok(publicKey, "the demo store names its widget key");
  const session = await widget("StartSession", { publicKey, name: "Flooder" });
  assert.equal(session.status, 200, JSON.stringify(session.body));
  const token = session.body.token;
  const start = await widget("StartConversation", { clientId: crypto.randomUUID(), body: "cheap watches" }, token);
  assert.equal(start.status, 200, JSON.stringify(start.body));
  const statuses = [];
  for (let i = 0; i < 4; i++) {
    statuses.push((await widget("SendMessage", { conversationId: start.body.conversation.id, clientId: crypto.randomUUID(), body: "cheap watches" }, token)).status);
  }
  assert.ok(statuses.includes(429), `the flood met the budget: ${statuses}`);
}

describe("spam quarantine in the agent web app", () => {
  test("a chat from a flooding address is held under Spam; Not spam lets it in, the agent answers; Mark as spam takes one out", async () => {
    const dir = ensureArtifacts();
    const agent = await newPage(browser, DESKTOP.viewport);
    const customer = await newPage(browser, DESKTOP.viewport);
    const { page } = agent;
    try {
      await flood();
      const words = `Spam check ${Date.now() % 100000}: where is my order?`;
      const frame = await openWidget(customer.page, server.url);
      await ask(frame, words);
      await frame.locator(".msg", { hasText: words }).first().waitFor();

      await page.goto(`${server.url}/app/`);
      await page.locator("#email").fill("agent@demo.tandem");
      await page.locator("#password").fill("tandem-demo");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.locator("main.panes").waitFor();
      const view = (name) => page.locator(".sidebar button.view", { has: page.locator(".label", { hasText: new RegExp(`^${name}$`) }) });
      const row = page.locator(".row-item", { hasText: words.slice(0, 16) });

      // Under Spam, and nowhere else.
      await view("Spam").click();
      await row.waitFor({ timeout: TIMEOUT });
      for (const name of ["All", "Pending", "Unassigned", "Bot-handled", "Mine"]) {
        await view(name).click();
        await page.waitForTimeout(200);
        assert.equal(await row.count(), 0, `held as spam, it is not in ${name}`);
      }
      await view("Spam").click();
      await row.click();
      const header = page.locator("section.conversation header");
      await header.getByText("Held as spam").waitFor();
      const actions = await header.locator(".controls > button").allTextContents();
      assert.deepEqual(actions.map((t) => t.trim()), ["Not spam", "Tags ▾"], "held: Not spam and tags only");
      await page.screenshot({ path: join(dir, "app-spam.png") });

      // Not spam: into the queue, where the agent takes it and answers.
      await header.getByRole("button", { name: "Not spam" }).click();
      await header.getByText("Waiting in the queue").waitFor();
      await view("All").click();
      await row.waitFor();
      await row.click();
      await header.getByRole("button", { name: /Take over/ }).click();
      await header.getByText("owned by you").waitFor();
      await page.locator("#composer").fill("Your order ships today.");
      await page.keyboard.press("Control+Enter");
      await eventually(async () => (await frame.locator(".msg.from-agent").allTextContents()).some((t) => t.includes("Your order ships today.")),
        "the answer to reach the customer");

      // Mark as spam: out of the inbox, into Spam.
      await header.getByRole("button", { name: /More/ }).click();
      await page.getByRole("menuitem", { name: "Mark as spam" }).click();
      await header.getByText("Held as spam").waitFor();
      await view("All").click();
      await eventually(async () => (await row.count()) === 0, "the chat marked as spam to leave All", 5000);
      await view("Spam").click();
      await row.waitFor();
      assert.deepEqual(agent.errors.map(String), [], "no page error");
    } catch (e) {
      await page.screenshot({ path: join(dir, "app-spam-failed.png") }).catch(() => undefined);
      throw e;
    } finally {
      await agent.context.close();
      await customer.context.close();
    }
  });
});
