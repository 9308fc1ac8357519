// Stored XSS through the email channel (RELIABILITY.md INP-03): a customer
// writes to a workspace's inbox, over SMTP to tandemd's own receiver, an
// HTML mail whose subject, sender name and body carry the payload corpus,
// both as markup (which the mail's HTML runs through the parser) and as
// escaped text (which the parser turns into text that looks like markup).
// The agent web app then shows the conversation as an agent sees it: the
// inbox row and the conversation, with the canary armed (window.__xss, the
// attacker's host routed): nothing runs or loads, and the escaped payloads
// read as the customer wrote them.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect } from "node:net";
import { join } from "node:path";
import { Agent, buildTandemd, ensureArtifacts, eventually, freePort, launchBrowser, startTandemd } from "../../../../backend/webwidget/test/browser/harness.mjs";
import { ATTACKER, openConversation, PAYLOADS, shows, verdict, watched as watch } from "./xss_common.mjs";

let server;
let browser;
let agent;
let smtpPort;

before(async () => {
  smtpPort = await freePort();
  server = await startTandemd(buildTandemd(), { TANDEM_SMTP_ADDR: `127.0.0.1:${smtpPort}`, TANDEM_MAIL_DOMAIN: "mail.test" });
  browser = await launchBrowser();
  agent = await new Agent(server.url).login("owner@demo.tandem");
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** smtp delivers one message to the receiver on port, as a mail server would, and fails on any refusal. */
async function smtp(port, from, to, message) {
  const sock = connect(port, "127.0.0.1");
  sock.setEncoding("utf8");
  let buffered = "";
  let wake = () => undefined;
  sock.on("data", (d) => {
    buffered += d;
    wake();
  });
  // reply waits for a whole reply (its last line "NNN text") and checks its code.
  const reply = async (want, what) => {
    for (;;) {
      const m = /(?:^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(buffered);
      if (m) {
        const got = buffered;
        buffered = "";
        assert.equal(m[1], String(want), `SMTP ${what}: ${got}`);
        return;
      }
      await new Promise((r) => (wake = r));
    }
  };
  const send = (line) => sock.write(`${line}\r\n`);
  await reply(220, "greeting");
  send("EHLO client.example");
  await reply(250, "EHLO");
  send(`MAIL FROM:<${from}>`);
  await reply(250, "MAIL FROM");
  send(`RCPT TO:<${to}>`);
  await reply(250, "RCPT TO");
  send("DATA");
  await reply(354, "DATA");
  sock.write(message.replace(/\r?\n/g, "\r\n").replace(/^\./gm, "..") + "\r\n.\r\n");
  await reply(250, "the message");
  send("QUIT");
  sock.end();
}

const escape = (s) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

describe("stored XSS by email", () => {
  test("a hostile HTML mail shows as text in the agent web app", async (t) => {
    const dir = ensureArtifacts();
    const who = await agent.call("AuthService", "WhoAmI", {});
    const workspaceId = who.memberships[0].workspaceId;
    const inbox = (
      await agent.call("EmailService", "CreateEmailInbox", {
        workspaceId,
        name: "Support",
        supportAddress: "help@shop.example",
        smtpHost: "127.0.0.1",
        smtpPort: 2,
        smtpTlsMode: "SMTP_TLS_MODE_NONE",
      })
    ).emailInbox;
    assert.ok(inbox.receivingAddress.endsWith("@mail.test"), `the inbox's receiving address: ${inbox.receivingAddress}`);

    // The mail: markup the parser must drop, and the corpus escaped, which it must keep as text.
    const token = `mail${Date.now() % 100000}`;
    const body = [
      `<p>Hello, order ${token} never came.</p>`,
      `<img src=x onerror="window.__xss('mail-raw-img')"><script>window.__xss('mail-raw-script')</script>`,
      `<a href="javascript:window.__xss('mail-raw-link')">click</a> <img src="https://${ATTACKER}/mail-raw.png">`,
      `<style>body{background:url(https://${ATTACKER}/mail-raw-css.png)}</style>`,
      ...PAYLOADS.slice(0, 11).map((p) => `<p>${escape(p.text)}</p>`),
    ].join("\n");
    const message = [
      `From: "<img src=x onerror=window.__xss('mail-name')>" <mallory@example.com>`,
      `To: ${inbox.receivingAddress}`,
      `Subject: <svg onload=window.__xss('mail-subject')> refund ${token}`,
      `Message-ID: <${crypto.randomUUID()}@example.com>`,
      `Date: ${new Date().toUTCString()}`,
      "MIME-Version: 1.0",
      "Content-Type: text/html; charset=utf-8",
      "",
      `<!DOCTYPE html><html><body>${body}</body></html>`,
    ].join("\n");
    await smtp(smtpPort, "mallory@example.com", inbox.receivingAddress, message);

    const conv = await eventually(async () => {
      const list = await agent.call("ConversationService", "ListConversations", { workspaceId });
      return (list.conversations ?? []).find((c) => JSON.stringify(c).includes(token));
    }, "the mail's conversation");
    const history = await agent.history(conv.id);
    const text = (history.history ?? []).map((m) => m.body ?? "").join("\n");
    assert.ok(text.includes("<script>window.__xss(\"script\")</script>"), `the escaped payloads are the message's text: ${text.slice(0, 300)}`);
    assert.ok(!text.includes("mail-raw"), `the mail's own markup is not: ${text.slice(0, 300)}`);

    // The agent web app: the inbox row and the conversation.
    const app = await watch(browser, { width: 1280, height: 800 });
    const { page } = app;
    await openConversation(app, server.url, conv.id);
    const section = page.locator("section.conversation");
    await shows(app, section, PAYLOADS.slice(0, 11).map((p) => p.mark), "the mail in the conversation view");
    await page.screenshot({ path: join(dir, "xss-app-email.png") });
    const blocked = await verdict(t, app, "agent web app, a mail", [page.mainFrame()]);
    assert.deepEqual(app.errors.map(String), [], "no page error in the app");
    t.diagnostic(`blocked attempts: ${blocked.length}`);
    await app.context.close();
  });
});
