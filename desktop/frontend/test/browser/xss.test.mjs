// Stored XSS across the render surfaces (RELIABILITY.md INP-03): one corpus
// of payloads goes into every field a visitor, an agent or an admin can
// set through the API (messages, notes, the visitor's attributes, the
// contact's name and attributes, tags, canned responses, groups, file names,
// knowledge documents and so the AI's answers), and each surface that shows
// them is opened in Chromium: the customer's widget and the agent web app
// at desktop size. A payload that runs calls window.__xss(id), one that
// loads reaches a host the test routes (and aborts); either fails the
// test. The widget and the app run under their CSPs, so a violation is
// recorded: an inline one or one aimed at the attacker's host is a blocked
// attempt (a pass, but reported), any other fails. Each surface must also
// show its payloads literally, so markup parsed as HTML fails even where
// the CSP stops it from running. Links may only be http(s) or mailto, and
// those leaving the page carry rel="noopener noreferrer".

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { Agent, ask, buildTandemd, ensureArtifacts, eventually, launchBrowser, openWidget, startTandemd, conversationId } from "../../../../backend/webwidget/test/browser/harness.mjs";
import { ATTACKER, openConversation, PAYLOADS, SHORT, shows, storer, verdict, watched as watch } from "./xss_common.mjs";

let server;
let browser;
let agent;
let store;
let workspaceId;

before(async () => {
  server = await startTandemd(buildTandemd());
  browser = await launchBrowser();
  agent = await new Agent(server.url).login("owner@demo.tandem");
  store = storer(agent);
  const who = await agent.call("AuthService", "WhoAmI", {});
  workspaceId = who.memberships[0].workspaceId;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const watched = (viewport) => watch(browser, viewport);

describe("stored XSS", () => {
  test("every payload in every field renders as text on every surface", async (t) => {
    const dir = ensureArtifacts();
    const uid = Date.now() % 100000;

    // Admin-set fields: tags, canned responses, groups, a knowledge document.
    const rejected = [];
    const tags = [];
    for (const [i, name] of SHORT.entries()) {
      const res = await store(t, rejected, "TagService", "CreateTag", { workspaceId, name: `${i}${uid}${name}`.slice(0, 50), description: PAYLOADS[i].text.slice(0, 500) });
      if (res) tags.push(res.tag.id);
    }
    assert.ok(tags.length >= 3, "most tag payloads are stored");
    for (const [i, p] of PAYLOADS.entries()) {
      await store(t, rejected, "CannedResponseService", "CreateCannedResponse", { workspaceId, shortcut: `xss${i}`, title: `x${i} ${SHORT[i % SHORT.length]}`.slice(0, 100), body: p.text });
    }
    for (const name of SHORT) await store(t, rejected, "WorkspaceService", "CreateGroup", { workspaceId, name, description: PAYLOADS[0].text });
    const doc = ["# Gift wrapping <img src=x onerror=__xss('kb-title')>", "", `Gift wrapping costs 3 euros per parcel <img src=x onerror=__xss('ai')> and is available on every order ![wrap](https://${ATTACKER}/ai.png) [see](javascript:__xss('ailink')).`, "", ...PAYLOADS.slice(0, 10).map((p) => p.text)].join("\n");
    await store(t, rejected, "KnowledgeService", "UploadDocument", { workspaceId, filename: "gift.md", title: SHORT[0], content: Buffer.from(doc).toString("base64") });

    // The customer: the AI answers from the document, the host page sets attributes, then payloads as messages.
    // (The visitor's name and email come from the pre-chat form or a signed identity, which the demo has neither of.)
    const customer = await watched({ width: 1280, height: 800 });
    const frame = await openWidget(customer.page, server.url);
    await ask(frame, "How much does gift wrapping cost?");
    await shows(customer, frame.locator(".msg.from-bot").first(), ["Gift wrapping costs"], "the AI's answer");
    const answer = await frame.locator(".msg.from-bot").first().innerText();
    t.diagnostic(`the AI answered: ${JSON.stringify(answer.slice(0, 300))}`);
    // The AI quotes the document, payload and all, and names it as its source: both as text.
    assert.ok(answer.includes("onerror=__xss('ai')") && answer.includes("onerror=__xss('kb-title')"), "the AI's answer carries the document's payload and title as text");
    const convId = await conversationId(customer.page, server.key);
    const widgetFrame = customer.page.frames().find((f) => f.url().includes("/widget/frame"));
    // The host page's own attributes for the visitor (Tandem.setAttributes, unverified).
    await customer.page.evaluate((v) => window.Tandem.setAttributes({ "vnote<svg onload=__xss('vkey')>": v }), `<img src=x onerror=__xss('vattr')> ![p](https://${ATTACKER}/vattr.png)`);
    for (const p of PAYLOADS.slice(1)) {
      await ask(frame, p.text);
      await shows(customer, frame.locator(".msg.from-customer").last(), [p.mark], `the widget's copy of the visitor's ${p.id}`);
    }

    // The agent: take over, answer with every payload, notes, tags, the contact, file names.
    await agent.takeOver(convId);
    for (const p of PAYLOADS) await agent.say(convId, p.text);
    for (const p of PAYLOADS) await agent.call("ConversationService", "AddNote", { conversationId: convId, clientId: crypto.randomUUID(), body: p.text });
    for (const id of tags) await agent.call("ConversationService", "TagConversation", { conversationId: convId, tagId: id });
    const conv = (await agent.history(convId)).conversation;
    await store(t, rejected, "ContactService", "UpdateContact", {
      contactId: conv.contact.id,
      name: SHORT[0],
      attributes: Object.fromEntries(PAYLOADS.slice(0, 8).map((p) => [`k${p.id}<b onmouseover=__xss('attrkey')>`.slice(0, 64), p.text])),
    });
    const fileIds = [];
    for (const name of [`<img src=x onerror=__xss('file')>.txt`, `\u202Etxt.exe`, `javascript:__xss('filelink').txt`, `"><svg onload=__xss('fileattr')>.png`]) {
      const q = new URLSearchParams({ conversation_id: convId, client_id: crypto.randomUUID(), name });
      const res = await fetch(`${server.url}/files?${q}`, { method: "POST", headers: { Authorization: `Bearer ${agent.token}`, "Content-Type": "application/octet-stream" }, body: "a plain text file\n" });
      const text = await res.text();
      if (res.status === 400) {
        rejected.push(`upload ${JSON.stringify(name)}: ${text}`);
        t.diagnostic(`refused on persist: upload ${JSON.stringify(name)}: ${text}`);
        continue;
      }
      assert.equal(res.status, 200, `upload ${JSON.stringify(name)}: ${text}`);
      fileIds.push(JSON.parse(text).id);
    }
    await agent.call("ConversationService", "SendMessage", { conversationId: convId, clientId: crypto.randomUUID(), body: "", fileIds });

    // Surface 1: the widget shows the agent's payloads, the AI's answer and the file names as text.
    const panel = frame.locator("section.panel");
    await shows(customer, panel, PAYLOADS.map((p) => p.mark), "the widget");
    await frame.locator(".msg.from-agent button.file, .msg.from-agent .file").first().waitFor();
    await customer.page.screenshot({ path: join(dir, "xss-widget.png") });
    const blocked = [...(await verdict(t, customer, "widget", [widgetFrame, customer.page.mainFrame()]))];

    // Surface 2: the agent web app at desktop size.
    const app = await watched({ width: 1280, height: 800 });
    const { page } = app;
    const row = await openConversation(app, server.url, convId);
    // The inbox row: the contact's name (set by the agent) and the last message.
    await shows(app, row, ["<img src=x onerror=__xss('short-img')>"], "the inbox row");
    const section = page.locator("section.conversation");
    // Messages and notes, the agent's and the customer's, as text.
    await shows(app, section, PAYLOADS.map((p) => p.mark), "the conversation view");
    await shows(app, page.locator("main.panes"), ["<img src=x onerror=__xss('file')>.txt"], "the file names");
    await page.screenshot({ path: join(dir, "xss-app-conversation.png") });

    // Tag and group names in the sidebar, tags on the conversation.
    await shows(app, page.locator(".sidebar"), ["__xss('short-img')", "__xss('short-svg')"], "the sidebar's tags and groups");
    await shows(app, section, [`${uid}<svg onload=__xss('short-svg')>`], "the conversation's tags");

    // The canned picker through "/".
    const composer = page.locator("#composer");
    await composer.fill("/xss");
    await page.locator("[role=option]").first().waitFor();
    await shows(app, page.locator("[role=option]").first(), ["<img src=x onerror=__xss('short-img')>"], "the canned picker's titles");
    await page.screenshot({ path: join(dir, "xss-app-canned.png") });
    await page.locator("[role=option] button").first().click();
    await eventually(async () => (await composer.inputValue()).includes("<script>"), "the canned body in the composer, as text");
    await composer.fill("");

    // The customer's profile: name and attributes.
    const customerButton = page.getByRole("button", { name: "Customer" });
    if (await customerButton.isVisible()) await customerButton.click();
    await page.locator("aside.profile").waitFor();
    await shows(app, page.locator("aside.profile"), ["onerror=__xss", "attrkey", "__xss('vattr')", "__xss('vkey')"], "the profile");
    await page.screenshot({ path: join(dir, "xss-app-profile.png") });

    // Settings and admin screens, wherever names show.
    await page.locator("#settings-button").click();
    await page.screenshot({ path: join(dir, "xss-app-settings.png") });
    await page.getByRole("button", { name: /AI agent/ }).click();
    await page.locator("form.agent-settings").waitFor();
    await page.screenshot({ path: join(dir, "xss-app-ai-settings.png") });
    // The knowledge documents by title, and the questions the AI could not answer.
    await page.locator("#agent-tab-knowledge").click();
    await shows(app, page.locator(".modal-box.admin"), ["<img src=x onerror=__xss('short-img')>"], "the knowledge list's titles");
    await page.screenshot({ path: join(dir, "xss-app-knowledge.png") });
    await page.locator("#agent-tab-gaps").click();
    await page.screenshot({ path: join(dir, "xss-app-gaps.png") });
    blocked.push(...(await verdict(t, app, "agent web app", [page.mainFrame()])));
    assert.deepEqual(customer.errors.map(String), [], "no page error in the widget");
    assert.deepEqual(app.errors.map(String), [], "no page error in the app");
    t.diagnostic(`blocked attempts: ${blocked.length}; refused on persist: ${rejected.length}`);
    await customer.context.close();
    await app.context.close();
  });
});
