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
import { Agent, ask, buildTandemd, ensureArtifacts, eventually, launchBrowser, newPage, openWidget, startTandemd, conversationId, TIMEOUT } from "../../../../backend/webwidget/test/browser/harness.mjs";

const ATTACKER = "attacker.invalid";

// The corpus. Each entry's id is what window.__xss receives, or what the
// attacker's URL carries, if it runs; mark is text that must show
// literally where the payload is rendered as text.
const PAYLOADS = [
  { id: "script", text: `<script>window.__xss("script")</script>`, mark: "<script>" },
  { id: "img", text: `<img src=x onerror="window.__xss('img')">`, mark: "onerror" },
  { id: "svg", text: `<svg onload="window.__xss('svg')"></svg>`, mark: "<svg" },
  { id: "iframe", text: `<iframe srcdoc="<script>parent.__xss('iframe')</script>"></iframe>`, mark: "srcdoc" },
  { id: "jslink", text: `<a href="javascript:window.__xss('jslink')">click</a>`, mark: "javascript:" },
  { id: "datalink", text: `<a href="data:text/html,<script>parent.__xss('datalink')</script>">open</a>`, mark: "data:text/html" },
  { id: "mdlink", text: `[click me](javascript:window.__xss('mdlink'))`, mark: "[click me]" },
  { id: "mdimg", text: `![pixel](https://${ATTACKER}/mdimg.png)`, mark: "![pixel]" },
  { id: "mdhtml", text: `**bold** <b onmouseover="window.__xss('mdhtml')">hover</b> <img src="https://${ATTACKER}/mdhtml.png">`, mark: "onmouseover" },
  { id: "css", text: `</style><style>body{background:url(https://${ATTACKER}/css.png)}</style><div style="background:url(https://${ATTACKER}/css2.png)">x</div>`, mark: "</style>" },
  { id: "template", text: `{{constructor.constructor('window.__xss("template")')()}} \${window.__xss("tpl2")}`, mark: "{{constructor" },
  { id: "bidi", text: `\u202Egnp.exe\u202C and zero\u200Bwidth\u200D\uFEFF joiner`, mark: "zero" },
  { id: "longword", text: "A".repeat(4000), mark: "AAAAAAAAAAAAAAAA" },
];

// Short fields (tag names up to 50, titles up to 100) get a payload cut to
// fit: the short ones fit whole.
const SHORT = [
  `<img src=x onerror=__xss('short-img')>`,
  `<svg onload=__xss('short-svg')>`,
  `<script>__xss('short-script')</script>`,
  `{{constructor.constructor('__xss(1)')()}}`,
  `\u202Etxt.exe <b>zw\u200Bsp</b>`,
];

let server;
let browser;
let agent;
let workspaceId;

before(async () => {
  server = await startTandemd(buildTandemd());
  browser = await launchBrowser();
  agent = await new Agent(server.url).login("owner@demo.tandem");
  const who = await agent.call("AuthService", "WhoAmI", {});
  workspaceId = who.memberships[0].workspaceId;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * store sets a field through the API; a field that refuses a payload on
 * persist (InvalidArgument) is defense in depth, noted and skipped.
 */
async function store(t, rejected, service, method, body) {
  try {
    return await agent.call(service, method, body);
  } catch (e) {
    if (!/: 400 .*invalid_argument/.test(String(e.message))) throw e;
    rejected.push(`${method}: ${e.message}`);
    t.diagnostic(`refused on persist: ${e.message}`);
    return null;
  }
}

/** watched opens a fresh context armed with the canary, the attacker route and a CSP log. */
async function watched(viewport) {
  const { context, page, errors } = await newPage(browser, viewport);
  const hits = [];
  const loads = [];
  const violations = [];
  // exposeFunction on the context reaches every page and frame (the widget's iframe too).
  await context.exposeFunction("__xss", (id) => hits.push(String(id)));
  await context.exposeFunction("__cspViolation", (v) => violations.push(v));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => window.__cspViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await context.route(`**/*attacker*`, (route) => {
    loads.push(route.request().url());
    return route.abort();
  });
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return { context, page, errors, hits, loads, violations };
}

/**
 * verdict asserts nothing ran or loaded, sorts the CSP reports into blocked
 * attempts (returned, to report) and others (a failure), and checks links.
 */
async function verdict(t, w, surface, frames) {
  let external = 0;
  assert.deepEqual(w.hits, [], `${surface}: a payload ran`);
  assert.deepEqual(w.loads, [], `${surface}: a payload loaded from the attacker's host`);
  const blocked = w.violations.filter((v) => v.includes(ATTACKER) || /\binline\b|eval/.test(v));
  const other = w.violations.filter((v) => !blocked.includes(v));
  assert.deepEqual(other, [], `${surface}: CSP violations`);
  for (const v of blocked) t.diagnostic(`${surface}: CSP blocked ${v}`);
  for (const f of frames) {
    const links = await f.evaluate(() =>
      [...document.querySelectorAll("a[href]")].map((a) => ({ href: a.href, raw: a.getAttribute("href"), rel: a.rel, origin: location.origin })),
    );
    for (const l of links) {
      const u = new URL(l.href);
      const sameOrigin = u.origin === l.origin;
      assert.ok(["http:", "https:", "mailto:"].includes(u.protocol) || (sameOrigin && l.raw.startsWith("#")), `${surface}: a ${u.protocol} link: ${l.raw}`);
      if (u.hostname === ATTACKER) external++;
      if (!sameOrigin && u.protocol !== "mailto:") {
        assert.ok(/\bnoopener\b/.test(l.rel) && /\bnoreferrer\b/.test(l.rel), `${surface}: ${l.raw} without rel="noopener noreferrer" (${l.rel})`);
      }
    }
  }
  // The corpus's https://attacker.invalid addresses are linkified: the rel check above saw them.
  assert.ok(external > 0, `${surface}: no link to the attacker's address was rendered, so the link checks saw nothing`);
  return blocked;
}

/**
 * shows waits until a surface's text holds every mark (so the payload was
 * rendered, as text), failing at once when a payload runs or loads meanwhile.
 */
async function shows(w, locator, marks, what) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    assert.deepEqual(w.hits, [], `${what}: a payload ran`);
    assert.deepEqual(w.loads, [], `${what}: a payload loaded from the attacker's host`);
    const text = await locator.innerText().catch(() => "");
    if (marks.every((m) => text.includes(m))) return;
    assert.ok(Date.now() < deadline, `${what} did not show ${JSON.stringify(marks)} as text: ${JSON.stringify(text.slice(-500))}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

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
    await page.goto(`${server.url}/app/`);
    await page.locator("#email").fill("owner@demo.tandem");
    await page.locator("#password").fill("tandem-demo");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("main.panes").waitFor();
    await page.keyboard.press("g");
    await page.keyboard.press("a");
    const row = page.locator(`.row-item[data-id="${convId}"]`);
    await row.waitFor();
    await row.click();
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
