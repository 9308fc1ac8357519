// The widget in a real browser against a real tandemd --demo: the issue's
// scenarios, one test each, sharing one server and one browser.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, ask, buildTandemd, conversationId, ensureArtifacts, eventually, launchBrowser, newPage as openPage, openWidget, startTandemd } from "./harness.mjs";

let server;
let browser;
const newPage = (viewport, options) => openPage(browser, viewport, options);

before(async () => {
  const bin = buildTandemd();
  server = await startTandemd(bin);
  assert.ok(server.key, "the demo printed its widget key");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});



/** count how many list rows contain exactly this text as a message body. */
async function countBodies(frame, text) {
  return frame.locator(".messages .body", { hasText: text }).count();
}


describe("web chat widget", () => {
  test("the demo page embeds the widget in a locked-down frame", async () => {
    const res = await fetch(`${server.url}/widget/frame?key=${server.key}`);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    const html = await res.text();
    assert.doesNotMatch(html, /<script>(?!<\/script>)/, "no inline script in the frame page");
    const loader = await fetch(`${server.url}/widget.js`);
    assert.equal(loader.headers.get("cache-control"), "no-cache");
    const asset = /src="(\/widget\/assets\/[^"]+)"/.exec(html)?.[1];
    assert.ok(asset);
    assert.match((await fetch(server.url + asset)).headers.get("cache-control") ?? "", /immutable/);
  });

  test("a customer asks a question from the knowledge base and sees a cited AI answer", async () => {
    // A shopper far from the server: the agents' profile shows their local time.
    const { context, page, errors } = await newPage(undefined, { timezoneId: "Asia/Tokyo" });
    try {
      const frame = await openWidget(page, server.url);
      await frame.locator("#tw-name").fill("Sam Shopper");
      await ask(frame, "How long does standard delivery take?");
      const answer = frame.locator(".msg.from-bot", { hasText: "2 to 4 business days" });
      await answer.waitFor();
      await assert.doesNotReject(answer.locator(".sources .source", { hasText: "Delivery times" }).waitFor());
      assert.equal(await frame.locator(".msg.from-customer .delivery", { hasText: "Sent" }).count(), 1);
      // The pre-chat name names this visitor's contact; the store's
      // Tandem.setAttributes reaches it mid-chat (a cart that grew).
      const id = await conversationId(page, server.key);
      const agent = await new Agent(server.url).login();
      const contact = (await agent.history(id)).conversation.contact;
      assert.equal(contact.name, "Sam Shopper");
      assert.equal(contact.timeZone, "Asia/Tokyo", "the browser's time zone on the contact");
      await page.evaluate(() => window.Tandem.setAttributes({ cart_total: "250" }));
      await eventually(async () => (await agent.history(id)).conversation.contact.unverifiedAttributes?.cart_total === "250",
        "the cart total on the contact");
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test("Talk to a person hands off and the agent's join and reply show live", async () => {
    const { context, page } = await newPage();
    try {
      const frame = await openWidget(page, server.url);
      await ask(frame, "How much does express shipping cost?");
      await frame.locator(".msg.from-bot .sources").waitFor();
      await frame.locator("button.action", { hasText: "Talk to a person" }).click();
      const id = await conversationId(page, server.key);
      const agent = await new Agent(server.url).login();
      await eventually(async () => (await agent.history(id)).conversation.state === "CONVERSATION_STATE_PENDING", "the hand-off");
      await frame.locator(".queue").waitFor();
      await agent.takeOver(id);
      await frame.locator(".banner", { hasText: "Alex Agent joined the chat" }).waitFor();
      const marks = [];
      page.on("request", (r) => {
        if (r.url().endsWith("/tandem.v1.WidgetService/MarkSeen")) marks.push(Number(r.postDataJSON()?.seq));
      });
      const said = await agent.say(id, "Hi, Alex here. Let me check your order.");
      const reply = frame.locator(".msg.from-agent", { hasText: "Let me check your order" });
      await reply.waitFor();
      assert.equal(await reply.locator(".avatar").textContent(), "AA");
      // The open widget tells the server the reply was seen, so it is not emailed.
      await eventually(async () => Math.max(0, ...marks) >= Number(said.message.seq), "the reply marked seen");
    } finally {
      await context.close();
    }
  });

  test("the customer asks for a copy of the chat and is asked to confirm their address first", async () => {
    const { context, page } = await newPage();
    try {
      const frame = await openWidget(page, server.url);
      await ask(frame, "Do you ship to Canada?");
      await frame.locator(".msg.from-bot").first().waitFor();
      await frame.locator(".transcript summary").click();
      await frame.locator("#tw-transcript-email").fill("ada@example.com");
      await frame.locator(".transcript-form button[type=submit]").click();
      await frame.locator(".transcript-note", { hasText: "Check your inbox to confirm your address" }).waitFor();
      const id = await conversationId(page, server.key);
      const agent = await new Agent(server.url).login();
      const { conversation } = await agent.history(id);
      assert.equal(conversation.contact.email, "ada@example.com");
    } finally {
      await context.close();
    }
  });

  test("offline: messages sent while offline arrive once, replies sent meanwhile appear once", async () => {
    const { context, page } = await newPage();
    try {
      const frame = await openWidget(page, server.url);
      await ask(frame, "Can I return an item?");
      await frame.locator(".msg.from-bot").waitFor();
      const id = await conversationId(page, server.key);
      const agent = await new Agent(server.url).login();
      await agent.takeOver(id);
      await frame.locator(".banner", { hasText: "joined the chat" }).waitFor();

      await context.setOffline(true);
      await ask(frame, "first message while offline");
      await ask(frame, "second message while offline");
      await frame.locator(".delivery-queued").first().waitFor();
      await agent.say(id, "reply sent while you were offline");
      await page.waitForTimeout(500);
      await context.setOffline(false);

      await frame.locator(".msg.from-agent", { hasText: "reply sent while you were offline" }).waitFor();
      await eventually(async () => (await frame.locator(".msg.from-customer .delivery-sent").count()) === 3, "all sent");
      await page.waitForTimeout(1500); // let any duplicate arrive
      assert.equal(await countBodies(frame, "first message while offline"), 1);
      assert.equal(await countBodies(frame, "second message while offline"), 1);
      assert.equal(await countBodies(frame, "reply sent while you were offline"), 1);

      const history = (await agent.history(id)).history.filter((m) => m.kind === "MESSAGE_KIND_TEXT").map((m) => m.body);
      assert.equal(history.filter((b) => b === "first message while offline").length, 1, "stored once");
      assert.equal(history.filter((b) => b === "second message while offline").length, 1, "stored once");
      const order = history.reverse();
      assert.ok(order.indexOf("first message while offline") < order.indexOf("second message while offline"), "in order");

      // A reload keeps the visitor and the conversation, and shows each message once.
      await page.reload();
      const again = page.frameLocator("iframe[data-tandem-widget]");
      await again.locator("button.launcher").click();
      await again.locator(".msg.from-agent", { hasText: "reply sent while you were offline" }).waitFor();
      assert.equal(await countBodies(again, "first message while offline"), 1);
    } finally {
      await context.close();
    }
  });

  test("agent messages with HTML show as text and run nothing", async () => {
    const { context, page } = await newPage();
    try {
      const frame = await openWidget(page, server.url);
      await ask(frame, "How long does standard delivery take?");
      await frame.locator(".msg.from-bot").waitFor();
      const id = await conversationId(page, server.key);
      const agent = await new Agent(server.url).login();
      await agent.takeOver(id);
      const img = `<img src=x onerror="window.__xss=1;parent.__xss=1">`;
      const script = `<script>window.__xss=2;parent.__xss=2</script>`;
      const link = "see javascript:alert(1) and https://example.com/help?a=1.";
      await agent.say(id, img);
      await agent.say(id, script);
      await agent.say(id, link);
      await frame.locator(".msg.from-agent .body", { hasText: "https://example.com" }).waitFor();
      assert.equal(await frame.locator(".msg.from-agent .body", { hasText: img }).textContent(), img);
      assert.equal(await frame.locator(".msg.from-agent .body", { hasText: script }).textContent(), script);
      assert.equal(await frame.locator(".messages img, .messages script").count(), 0);
      const anchors = frame.locator(".messages .msg.from-agent a"); // (the AI answer's source is a link of its own)
      assert.equal(await anchors.count(), 1, "only the http(s) URL is a link");
      assert.equal(await anchors.getAttribute("href"), "https://example.com/help?a=1");
      assert.equal(await anchors.getAttribute("rel"), "noopener noreferrer nofollow");
      assert.equal(await anchors.getAttribute("target"), "_blank");
      await page.waitForTimeout(300);
      const widgetFrame = page.frames().find((f) => f.url().includes("/widget/frame"));
      assert.equal(await page.evaluate(() => window.__xss), undefined, "no script ran in the page");
      assert.equal(await widgetFrame.evaluate(() => window.__xss), undefined, "no script ran in the frame");
    } finally {
      await context.close();
    }
  });

  test("file upload within and over the limit, then CSAT after close", async () => {
    const { context, page } = await newPage();
    const uploads = [];
    page.on("request", (r) => {
      if (r.method() === "POST" && new URL(r.url()).pathname === "/files") uploads.push(r.url());
    });
    try {
      const frame = await openWidget(page, server.url);
      await ask(frame, "How long does standard delivery take?");
      await frame.locator(".msg.from-bot").waitFor();
      const input = frame.locator("input[type=file]");
      await input.setInputFiles({ name: "receipt.txt", mimeType: "text/plain", buffer: Buffer.from("order 1234, paid\n") });
      const file = frame.locator(".msg.from-customer button.file", { hasText: "receipt.txt" });
      await file.waitFor();
      assert.equal(uploads.length, 1);

      // A file on disk: the browser reads it locally (a buffer would cross the protocol).
      const big = join(mkdtempSync(join(tmpdir(), "widget-big-")), "too-big.bin");
      writeFileSync(big, Buffer.alloc(10 * 1024 * 1024 + 1, 97));
      await input.setInputFiles(big);
      await frame.locator(".upload.error", { hasText: "too big" }).waitFor();
      assert.match(await frame.locator(".upload.error").textContent(), /10 MB/);
      assert.equal(uploads.length, 1, "the too-big file was never uploaded");

      // The customer ends the chat and rates it.
      await frame.locator("button.end").click();
      await frame.locator(".csat-question").waitFor();
      await frame.locator(".score[data-score='5']").click();
      await frame.locator(".csat-comment").fill("Quick and clear");
      await frame.locator(".csat-submit").click();
      await frame.locator(".csat-thanks").waitFor();
      const id = await conversationId(page, server.key);
      const agent = await new Agent(server.url).login("owner@demo.tandem");
      const conv = (await agent.history(id)).conversation;
      assert.equal(conv.csatRating, 5);
      assert.equal(conv.csatComment, "Quick and clear");
    } finally {
      await context.close();
    }
  });

  test("keyboard: Shift+Enter makes a new line, Esc closes and focus returns to the launcher", async () => {
    const { context, page } = await newPage();
    try {
      const frame = await openWidget(page, server.url);
      const input = frame.locator("#tw-input");
      await input.focus();
      await input.pressSequentially("line one");
      await input.press("Shift+Enter");
      await input.pressSequentially("line two");
      assert.equal(await input.inputValue(), "line one\nline two");
      await input.press("Escape");
      await frame.locator("section.panel").waitFor({ state: "hidden" });
      assert.equal(await frame.locator("button.launcher").evaluate((el) => document.activeElement === el), true);
      assert.equal(await frame.locator("button.launcher").getAttribute("aria-expanded"), "false");
      assert.equal(await frame.locator(".messages").getAttribute("role"), "log");
    } finally {
      await context.close();
    }
  });

  test("a message over the server's limit in bytes is not sent: the customer is told and keeps the text", async () => {
    const { context, page } = await newPage();
    try {
      const frame = await openWidget(page, server.url);
      const input = frame.locator("#tw-input");
      // 6,000 Chinese characters: under the composer's 16,000 UTF-16 units, 18,000 bytes (the server takes 16,384).
      const long = "订单".repeat(3000);
      await input.fill(long);
      await input.press("Enter");
      await frame.locator(".notice", { hasText: "too long to send" }).waitFor();
      assert.equal(await input.inputValue(), long, "the text stays in the composer, to shorten");
      assert.equal(await frame.locator(".msg.from-customer").count(), 0, "nothing was sent or queued");
      // Shortened, it goes.
      const short = "订单".repeat(2000);
      await input.fill(short);
      await input.press("Enter");
      await eventually(async () => (await frame.locator(".msg.from-customer .body", { hasText: short.slice(0, 40) }).count()) === 1, "the shortened message");
      assert.equal(await input.inputValue(), "", "sent, the composer is cleared");
    } finally {
      await context.close();
    }
  });

  test("screenshots of the open widget at desktop and phone sizes", async () => {
    const dir = ensureArtifacts();
    for (const [name, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]]) {
      const { context, page } = await newPage(viewport);
      try {
        const frame = await openWidget(page, server.url);
        await ask(frame, "How much does express shipping cost?");
        await frame.locator(".msg.from-bot .sources").waitFor();
        const box = await page.locator("iframe[data-tandem-widget]").boundingBox();
        if (name === "phone") assert.equal(Math.round(box.width), viewport.width, "full width on a phone");
        else assert.ok(box.width <= 460, "a panel on desktop");
        await page.screenshot({ path: join(dir, `widget-${name}.png`) });
      } finally {
        await context.close();
      }
    }
  });
});
