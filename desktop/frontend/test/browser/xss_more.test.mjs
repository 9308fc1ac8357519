// Stored XSS on the surfaces xss.test.mjs leaves out (RELIABILITY.md
// INP-03), under the same rules (xss_common.mjs): the widget settings an
// admin sets (the workspace's name, the AI agent's name, greeting, offline
// and handoff messages, department names, custom-action labels) as the
// widget shows them; the visitor's name, email and attributes as the
// widget gives them (the pre-chat form, Tandem.identify, StartSession,
// UpdateVisitor and a store-signed identity) as agents see them in the
// list, the conversation and the profile, at desktop and phone size (where
// a long unbroken name must not widen the page past the screen); an
// agent's display name as the customer sees it in the widget and
// teammates in the web app; and the notifications the web app shows for a
// payload-named visitor, a payload message and a payload-named agent's
// mention (the page's own while it is hidden, and a Web Push through the
// service worker). A payload that runs calls window.__xss, one that loads
// reaches the routed attacker host; CSP violations are judged as in
// xss.test.mjs, and every surface must show its payloads literally.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { Agent, ask, buildTandemd, conversationId, ensureArtifacts, eventually, launchBrowser, openWidget, startTandemd, widgetCall } from "../../../../backend/webwidget/test/browser/harness.mjs";
import { showPush, startPushService, stubPushManager } from "./pushservice.mjs";
import { ATTACKER, PAYLOADS, SHORT, shows, storer, verdict, watched as watch } from "./xss_common.mjs";

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { viewport: { width: 390, height: 844 }, options: { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } };
const PASSWORD = "tandem-demo";
const uid = Date.now() % 100000;

// Admin-set widget settings. Names follow naming.Check (no controls, no
// bidi overrides), so these carry markup, not direction tricks.
const WS_NAME = `<img src=x onerror=__xss('ws-name')> {{constructor.constructor('__xss(2)')()}}`;
const BOT_NAME = `<script>__xss('bot-name')</script>`;
const GREETING = `${PAYLOADS[1].text} ${PAYLOADS[7].text} ${PAYLOADS[10].text}`;
const OFFLINE = `${PAYLOADS[3].text} ${PAYLOADS[9].text}`;
const HANDOFF = `{{wait}} ${PAYLOADS[2].text} ${PAYLOADS[6].text}`;
const GROUP = `<svg onload=__xss('group')>${uid}`;
const ACTION_NOTE = `<img src=x onerror=__xss('action-label')>`;
const ACTION_TAG = `{{constructor.constructor('__xss(3)')()}}`;
const NOTE_BODY = `${PAYLOADS[0].text} ${PAYLOADS[8].text}`;

// The visitors. Emails must pass the email rule, which leaves quotes,
// braces, slashes, = and backticks, but no angle brackets.
const PRECHAT_NAME = `<img src=x onerror=__xss('prechat-name')>`;
const PRECHAT_EMAIL = `x'/onmouseover='__xss\`prechat\`'{{7*7}}@${ATTACKER}`;
const SIGNED_NAME = `<svg onload=__xss('signed-name')>`;
// A signed identity's email is the store's word: the email rule does not
// apply to it, so it can carry markup (quoted local part).
const SIGNED_EMAIL = `"<img src=x onerror=__xss('signed-email')>"@${ATTACKER}`;
const API_NAME = `<script>__xss('api-name')</script>`;
const UPDATED_NAME = `<iframe srcdoc="<script>parent.__xss('update-name')</script>">`;
const UPDATED_EMAIL = `{{constructor}}'/=__xss\`upd\`@${ATTACKER}`;
const REFUSED_EMAIL = `<svg/onload=__xss('upd')>@${ATTACKER}`;
const IDENTIFY_NAME = `<b onmouseover=__xss('identify-name')>watcher</b>`;
const AGENT_NAME = `<img src=x onerror=__xss('agent-name')> Mallory`;

let server;
let browser;
let pushsvc;
let owner;
let store;
let workspaceId;
const rejected = [];
const blocked = [];
// What the tests below share: the conversations each visitor started.
const convs = {};
const contexts = [];

before(async () => {
  // Pushes may go to the test's push service on loopback (pushservice.mjs).
  server = await startTandemd(buildTandemd(), { TANDEM_PUSH_ALLOW: "127.0.0.1/32" });
  assert.ok(server.key, "the demo printed its widget key");
  browser = await launchBrowser();
  owner = await new Agent(server.url).login("owner@demo.tandem");
  store = storer(owner);
  const who = await owner.call("AuthService", "WhoAmI", {});
  workspaceId = who.memberships[0].workspaceId;
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await pushsvc?.close();
  await browser?.close();
  await server?.stop();
});

/** watched opens an armed context that after() closes whatever happens. */
async function watched(viewport, options) {
  const w = await watch(browser, viewport, options);
  contexts.push(w.context);
  return w;
}

/** visitor calls the WidgetService as a visitor (token "" for StartSession). */
const visitor = (token, method, body) => widgetCall(server.url, token, method, body);

/** optional runs a visitor call whose payload the server may refuse on persist (noted, as store does). */
async function optional(t, what, fn) {
  try {
    return await fn();
  } catch (e) {
    if (!/: 400 .*invalid_argument/.test(String(e.message))) throw e;
    rejected.push(`${what}: ${e.message}`);
    t.diagnostic(`refused on persist: ${what}: ${e.message}`);
    return null;
  }
}

/** optionText lists a select's option labels and whether any holds an element (markup parsed). */
function optionText(frame, selector) {
  return frame.locator(selector).evaluate((s) => ({ labels: [...s.options].map((o) => o.text), titles: [...s.options].map((o) => o.title), elements: s.querySelectorAll("option *").length }));
}

/**
 * fits asserts the page does not scroll sideways: on a phone, a long
 * payload-made name that widens the layout pushes buttons (the
 * conversation's Customer button) off the screen.
 */
async function fits(page, what) {
  const m = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: document.documentElement.clientWidth }));
  assert.ok(m.page <= m.screen, `${what}: the page is ${m.page}px wide on a ${m.screen}px screen`);
}

/** signIn opens the web app and signs the owner in; on a phone it waits for the bottom bar. */
async function signIn(page, phone = false) {
  await page.goto(`${server.url}/app/`);
  await page.locator("#email").fill("owner@demo.tandem");
  await page.locator("#password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(phone ? ".bottombar" : "main.panes").waitFor();
}

describe("stored XSS on the remaining surfaces", () => {
  test("widget settings an admin sets, and the pre-chat visitor, render as text in the widget", async (t) => {
    const dir = ensureArtifacts();
    const widget = { chooseGroup: true, askName: true, askEmail: true, allowFiles: true };
    // A colour is a CSS value: a breakout must be refused (the accent reaches style.setProperty).
    await store(t, rejected, "WorkspaceService", "UpdateWorkspace", { workspaceId, widget: { ...widget, accentColor: `red;background:url(https://${ATTACKER}/accent.png)` } });
    await store(t, rejected, "WorkspaceService", "UpdateWorkspace", { workspaceId, widget: { ...widget, accentColor: `#123456;--x:url(https://${ATTACKER}/accent2.png)` } });
    assert.ok(await store(t, rejected, "WorkspaceService", "UpdateWorkspace", { workspaceId, name: WS_NAME, widget }), "the workspace's name is stored");
    assert.ok(await store(t, rejected, "WorkspaceService", "CreateGroup", { workspaceId, name: GROUP, description: PAYLOADS[9].text }), "the department is stored");
    // The AI agent off and nobody online: the widget shows the offline message.
    assert.ok(await store(t, rejected, "BotService", "UpdateBotSettings", { workspaceId, enabled: false, name: BOT_NAME, greeting: GREETING, offlineMessage: OFFLINE, handoffMessage: HANDOFF }), "the AI agent's texts are stored");
    assert.ok(await store(t, rejected, "AutomationService", "CreateCustomAction", { workspaceId, action: { label: ACTION_NOTE, enabled: true, actions: [{ addNote: NOTE_BODY }] } }), "the custom action with a note is stored");
    assert.ok(await store(t, rejected, "AutomationService", "CreateCustomAction", { workspaceId, action: { label: ACTION_TAG, enabled: true, actions: [{ addTag: SHORT[1] }] } }), "the custom action with a tag is stored");

    const customer = await watched(DESKTOP);
    const frame = await openWidget(customer.page, server.url);
    const widgetFrame = () => customer.page.frames().find((f) => f.url().includes("/widget/frame"));
    await shows(customer, frame.locator("#tw-title"), [`onerror=__xss('ws-name')`, "{{constructor"], "the widget's title (the workspace's name)");
    await shows(customer, frame.locator(".greeting"), ["onerror=", "![pixel]", "{{constructor"], "the greeting");
    await shows(customer, frame.locator(".notice"), ["srcdoc", "</style>"], "the offline message");
    const groups = await optionText(frame, "#tw-group");
    assert.ok(groups.labels.includes(GROUP), `the department's name as the option's text: ${JSON.stringify(groups.labels)}`);
    assert.ok(groups.titles.includes(PAYLOADS[9].text), "the department's description as the option's title, verbatim");
    assert.equal(groups.elements, 0, "no element inside an option");
    const accent = await widgetFrame().evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--accent"));
    assert.doesNotMatch(accent, /attacker|url\(/, "no CSS breakout in the accent colour");
    await customer.page.screenshot({ path: join(dir, "xss-more-widget-settings.png") });

    // The pre-chat form: name and email as the visitor types them.
    await frame.locator("#tw-name").fill(PRECHAT_NAME);
    await frame.locator("#tw-email").fill(PRECHAT_EMAIL);
    await frame.locator("#tw-group").selectOption({ label: GROUP });
    await ask(frame, PAYLOADS[4].text);
    await shows(customer, frame.locator(".msg.from-customer").last(), [PAYLOADS[4].mark], "the widget's copy of the first message");
    convs.prechat = await conversationId(customer.page, server.key);
    const contact = (await owner.history(convs.prechat)).conversation.contact;
    assert.equal(contact.name, PRECHAT_NAME, "the pre-chat name is stored verbatim");
    t.diagnostic(`the pre-chat email as stored: ${JSON.stringify(contact.email)}`);

    // The custom actions' labels, and one pressed (its note is for agents).
    const actions = frame.locator(".actions");
    await shows(customer, actions, [ACTION_NOTE, ACTION_TAG], "the custom actions' labels");
    await actions.locator("button.action", { hasText: "action-label" }).click();
    await eventually(async () => (await owner.history(convs.prechat)).history?.some((m) => m.body === NOTE_BODY), "the custom action's note");
    await customer.page.screenshot({ path: join(dir, "xss-more-widget-actions.png") });
    blocked.push(...(await verdict(t, customer, "widget settings", [widgetFrame(), customer.page.mainFrame()], { links: false })));
    assert.deepEqual(customer.errors.map(String), [], "no page error in the widget");
    await customer.context.close();
  });

  test("the AI agent's name and handoff message, and a signed identity, render as text in the widget", async (t) => {
    const dir = ensureArtifacts();
    assert.ok(await store(t, rejected, "BotService", "UpdateBotSettings", { workspaceId, enabled: true }), "the AI agent back on");
    // Someone online, so a handoff says the handoff message (else the offline one, seen above).
    await owner.call("PresenceService", "SetPresence", { workspaceId, status: "PRESENCE_STATUS_ONLINE" });
    const { secret } = await owner.call("WorkspaceService", "GetWidgetSecret", { workspaceId });
    const now = Math.floor(Date.now() / 1000);
    const identityJson = JSON.stringify({
      external_id: `ext-<svg onload=__xss('ext')>-${uid}`,
      name: SIGNED_NAME,
      email: SIGNED_EMAIL,
      attributes: { "plan<b onmouseover=__xss('skey')>": `<img src=x onerror=__xss('sattr')> https://${ATTACKER}/sattr` },
      iat: now,
      exp: now + 600,
    });
    const signature = createHmac("sha256", secret).update(identityJson).digest("hex");
    // The server accepts the identity (or refuses the email on persist) before the widget uses it.
    const checked = await optional(t, "StartSession signed", () => visitor("", "StartSession", { publicKey: server.key, identityJson, identitySignature: signature }));
    const identity = checked
      ? { identityJson, signature }
      : (() => {
          // The email refused: sign the identity again without it, so the name and attributes still go through.
          const j = JSON.stringify({ ...JSON.parse(identityJson), email: `signed-${uid}@example.com` });
          return { identityJson: j, signature: createHmac("sha256", secret).update(j).digest("hex") };
        })();
    if (checked) assert.equal(checked.identityVerified, true, "the identity is verified");
    convs.signedEmail = JSON.parse(identity.identityJson).email.toLowerCase();

    const customer = await watched(DESKTOP);
    // The store's page says who the shopper is before the loader runs (the queued-call form).
    await customer.page.addInitScript((id) => {
      window.Tandem = [["identify", id]];
    }, identity);
    const frame = await openWidget(customer.page, server.url);
    await shows(customer, frame.locator("#tw-subtitle"), [BOT_NAME], "the AI agent's name in the header");
    await shows(customer, frame.locator(".greeting"), ["onerror="], "the greeting with the AI agent on");
    await ask(frame, PAYLOADS[0].text);
    await shows(customer, frame.locator(".msg.from-customer").last(), [PAYLOADS[0].mark], "the widget's copy of the signed visitor's message");
    convs.signed = await conversationId(customer.page, server.key);
    const contact = (await owner.history(convs.signed)).conversation.contact;
    assert.equal(contact.name, SIGNED_NAME, "the signed name is on the contact");
    t.diagnostic(`the signed email as stored: ${JSON.stringify(contact.email)}`);
    // Talk to a person (unless the AI agent handed off by itself): the handoff message ({{wait}} filled in, the rest as text).
    const talk = frame.locator(".actions button.talk");
    await eventually(async () => (await talk.isVisible()) || (await frame.locator(".msg.from-bot").count()) > 0, "the AI agent's answer or the button");
    if (await talk.isVisible()) await talk.click();
    await shows(customer, frame.locator(".messages"), ["__xss('svg')", "[click me]"], "the handoff message");
    const said = await frame.locator(".messages").innerText();
    assert.ok(!said.includes("{{wait}}") || said.includes(HANDOFF), "the handoff message as stored or with its wait filled in");
    await customer.page.screenshot({ path: join(dir, "xss-more-widget-signed.png") });
    blocked.push(...(await verdict(t, customer, "widget with the AI agent and a signed identity", [customer.page.frames().find((f) => f.url().includes("/widget/frame")), customer.page.mainFrame()], { links: false })));
    assert.deepEqual(customer.errors.map(String), [], "no page error in the widget");
    await customer.context.close();
    await owner.call("PresenceService", "SetPresence", { workspaceId, status: "PRESENCE_STATUS_OFFLINE" });
  });

  test("StartSession and UpdateVisitor names and emails are stored for agents to see", async (t) => {
    const s = await optional(t, "StartSession name/email", () =>
      visitor("", "StartSession", { publicKey: server.key, name: API_NAME, email: `api-${uid}@example.com`, attributes: { "k<svg onload=__xss('akey')>": PAYLOADS[2].text }, pageUrl: `${server.url}/?q=<script>__xss('page')</script>` }),
    );
    assert.ok(s, "a visitor session with a payload name");
    const started = await visitor(s.token, "StartConversation", { clientId: crypto.randomUUID(), body: PAYLOADS[5].text });
    convs.api = started.conversation.id;
    await optional(t, "UpdateVisitor name", () => visitor(s.token, "UpdateVisitor", { name: UPDATED_NAME }));
    // Markup in an address fails the email rule; what passes it still carries quotes, braces and backticks.
    assert.equal(await optional(t, "UpdateVisitor markup email", () => visitor(s.token, "UpdateVisitor", { email: REFUSED_EMAIL })), null, "an email with markup is refused");
    assert.ok(await optional(t, "UpdateVisitor email", () => visitor(s.token, "UpdateVisitor", { email: UPDATED_EMAIL })), "an odd but valid email is stored");
    await optional(t, "UpdateVisitor attributes", () => visitor(s.token, "UpdateVisitor", { attributes: { "u<b onmouseover=__xss('ukey')>": `${PAYLOADS[1].text} https://${ATTACKER}/uattr` } }));
    convs.apiToken = s.token;
    const contact = (await owner.history(convs.api)).conversation.contact;
    assert.equal(contact.name, UPDATED_NAME, "UpdateVisitor's name replaced StartSession's");
    assert.equal(contact.email, UPDATED_EMAIL.toLowerCase(), "UpdateVisitor's email is on the contact");
  });

  test("an agent's display name renders as text in the widget and for teammates in the web app", async (t) => {
    const dir = ensureArtifacts();
    const email = `mallory-${uid}@demo.tandem`;
    const invite = await owner.call("WorkspaceService", "InviteMember", { workspaceId, email, role: "ROLE_AGENT" });
    // Accepted by nobody signed in: a new account, named by the payload.
    const accepted = await storer(new Agent(server.url))(t, rejected, "WorkspaceService", "AcceptInvite", { inviteToken: invite.inviteToken, displayName: AGENT_NAME, password: "a long enough passphrase 93" });
    assert.ok(accepted, "the payload display name is accepted");
    const mallory = new Agent(server.url);
    mallory.token = accepted.token;
    const ownerId = (await owner.call("AuthService", "WhoAmI", {})).user.id;

    // The customer with the pre-chat name watches Mallory take the chat.
    const customer = await watched(DESKTOP);
    // A new visitor whose page names them, unsigned (Tandem.identify: StartSession's plain name).
    await customer.page.addInitScript((id) => {
      window.Tandem = [["identify", id]];
    }, { name: IDENTIFY_NAME });
    const frame = await openWidget(customer.page, server.url);
    await ask(frame, `Hello, I am the watcher ${uid}`);
    const watcherConv = await conversationId(customer.page, server.key);
    await mallory.takeOver(watcherConv);
    await mallory.say(watcherConv, `Hi, ${PAYLOADS[8].text}`);
    await shows(customer, frame.locator("#tw-subtitle"), [AGENT_NAME], "the agent's name in the widget's header");
    await shows(customer, frame.locator(".messages"), [`${AGENT_NAME} joined`], "the agent's name in the joined banner");
    await shows(customer, frame.locator(".msg.from-agent").last(), ["onmouseover"], "the agent's reply");
    // The avatar holds the name's initials as text ("<M" here: odd, but no markup).
    const avatar = await frame.locator(".helper-avatar").evaluate((el) => ({ text: el.textContent, elements: el.childElementCount }));
    assert.ok(avatar.elements === 0 && [...avatar.text].length <= 3, `the avatar shows initials as text: ${JSON.stringify(avatar)}`);
    t.diagnostic(`the payload-named agent's avatar initials: ${JSON.stringify(avatar.text)}`);
    await customer.page.screenshot({ path: join(dir, "xss-more-widget-agent.png") });
    blocked.push(...(await verdict(t, customer, "widget with the payload-named agent", [customer.page.frames().find((f) => f.url().includes("/widget/frame")), customer.page.mainFrame()], { links: false })));
    assert.deepEqual(customer.errors.map(String), [], "no page error in the widget");
    await customer.context.close();

    // Mallory also takes the API visitor's chat and the signed one's, and mentions the owner in a note.
    await mallory.takeOver(convs.api);
    await mallory.call("ConversationService", "AddNote", { conversationId: convs.api, clientId: crypto.randomUUID(), body: `@owner ${PAYLOADS[2].text}`, mentionUserIds: [ownerId] });
    convs.watcher = watcherConv;
    convs.mallory = mallory;
    convs.ownerId = ownerId;
  });

  test("the web app at desktop size shows visitors' and agents' names as text", async (t) => {
    const dir = ensureArtifacts();
    const app = await watched(DESKTOP);
    const { page } = app;
    await signIn(page);
    await page.keyboard.press("g");
    await page.keyboard.press("a");
    const cases = [
      { id: convs.prechat, name: PRECHAT_NAME, profile: [PRECHAT_NAME, PRECHAT_EMAIL.toLowerCase()], what: "the pre-chat visitor" },
      { id: convs.signed, name: SIGNED_NAME, profile: [SIGNED_NAME, convs.signedEmail, "__xss('skey')", "__xss('sattr')"], what: "the signed visitor" },
      { id: convs.api, name: UPDATED_NAME, profile: [UPDATED_NAME, UPDATED_EMAIL.toLowerCase(), "__xss('akey')", "__xss('ukey')"], what: "the StartSession/UpdateVisitor visitor" },
      { id: convs.watcher, name: IDENTIFY_NAME, profile: [IDENTIFY_NAME], what: "the visitor named by Tandem.identify" },
    ];
    for (const c of cases) {
      const row = page.locator(`.row-item[data-id="${c.id}"]`);
      await row.waitFor();
      await shows(app, row, [c.name], `${c.what}'s inbox row`);
      await row.click();
      const header = page.locator("section.conversation header");
      await shows(app, header.locator("h2"), [c.name], `${c.what}'s conversation header`);
      const customerButton = page.getByRole("button", { name: "Customer" });
      if (await customerButton.isVisible()) await customerButton.click();
      await shows(app, page.locator("aside.profile"), c.profile, `${c.what}'s profile`);
      await page.screenshot({ path: join(dir, `xss-more-app-${c.id.slice(0, 8)}.png`) });
    }
    // The API visitor's chat: owned by Mallory, whose name the teammate sees in the header, the row, the note and the timeline.
    const row = page.locator(`.row-item[data-id="${convs.api}"]`);
    await shows(app, row, [AGENT_NAME], "the owner's name in the inbox row");
    await row.click();
    const section = page.locator("section.conversation");
    await shows(app, section.locator("header"), [`owned by ${AGENT_NAME}`], "the owner's name in the conversation header");
    await shows(app, section, [AGENT_NAME, PAYLOADS[2].mark, PAYLOADS[5].mark], "the note by the payload-named agent");
    // The custom action's note in the pre-chat visitor's chat.
    await page.locator(`.row-item[data-id="${convs.prechat}"]`).click();
    await shows(app, page.locator("section.conversation"), [PAYLOADS[0].mark, PAYLOADS[8].mark], "the custom action's note");
    await page.screenshot({ path: join(dir, "xss-more-app-agent-name.png") });
    // The team in the settings, where members' names show.
    await page.locator("#settings-button").click();
    await page.screenshot({ path: join(dir, "xss-more-app-settings.png") });
    blocked.push(...(await verdict(t, app, "agent web app (desktop)", [page.mainFrame()])));
    assert.deepEqual(app.errors.map(String), [], "no page error in the app");
    await app.context.close();
  });

  test("the web app at phone size shows the list and a conversation as text", async (t) => {
    const dir = ensureArtifacts();
    const app = await watched(PHONE.viewport, PHONE.options);
    const { page } = app;
    await signIn(page, true);
    await page.locator(".bottombar button", { hasText: "All" }).tap();
    for (const [id, name] of [[convs.prechat, PRECHAT_NAME], [convs.signed, SIGNED_NAME], [convs.api, UPDATED_NAME]]) {
      await shows(app, page.locator(`.row-item[data-id="${id}"]`), [name], `the phone's inbox row for ${name}`);
    }
    await page.screenshot({ path: join(dir, "xss-more-phone-list.png") });
    await fits(page, "the phone's inbox");
    await page.locator(`.row-item[data-id="${convs.api}"]`).tap();
    const section = page.locator("section.conversation");
    await shows(app, section.locator("h2"), [UPDATED_NAME], "the phone's conversation header");
    await shows(app, section, [PAYLOADS[5].mark, PAYLOADS[2].mark, AGENT_NAME], "the phone's conversation");
    await page.screenshot({ path: join(dir, "xss-more-phone-conversation.png") });
    await fits(page, "the phone's conversation");
    await page.getByRole("button", { name: "Customer" }).tap();
    await shows(app, page.locator("aside.profile"), [UPDATED_NAME, "__xss('ukey')"], "the phone's profile");
    await page.screenshot({ path: join(dir, "xss-more-phone-profile.png") });
    await fits(page, "the phone's profile");
    blocked.push(...(await verdict(t, app, "agent web app (phone)", [page.mainFrame()])));
    assert.deepEqual(app.errors.map(String), [], "no page error in the app");
    await app.context.close();
  });

  test("notifications for a payload-named visitor, message and agent show their text literally", async (t) => {
    const app = await watched(DESKTOP);
    const { context, page } = app;
    await context.grantPermissions(["notifications"], { origin: server.url });
    // The page is hidden (the agent is elsewhere), so the app notifies; every notification is recorded as the page made it.
    const notes = [];
    await context.exposeFunction("__note", (n) => notes.push(n));
    await context.addInitScript(() => {
      Object.defineProperty(document, "visibilityState", { get: () => (window.__visible ? "visible" : "hidden") });
      const Real = window.Notification;
      window.Notification = class extends Real {
        constructor(title, options) {
          window.__note({ title: String(title), body: String(options?.body ?? "") });
          super(title, options);
        }
      };
      Object.defineProperty(window.Notification, "permission", { get: () => Real.permission });
    });
    await signIn(page);
    await page.keyboard.press("g");
    await page.keyboard.press("a");
    await page.locator(`.row-item[data-id="${convs.api}"]`).waitFor();
    // The API visitor (Mallory's chat, where the owner was mentioned): the owner joins, then the visitor writes.
    await owner.takeOver(convs.api);
    const message = `${PAYLOADS[1].text} ${PAYLOADS[9].text}`;
    await visitor(convs.apiToken, "SendMessage", { conversationId: convs.api, clientId: crypto.randomUUID(), body: message });
    const fromVisitor = await eventually(() => notes.find((n) => n.title.includes(UPDATED_NAME)), "the new-message notification naming the visitor");
    assert.equal(fromVisitor.title, `New message from ${UPDATED_NAME}`);
    assert.ok(fromVisitor.body.includes("onerror=") && fromVisitor.body.includes("</style>"), `the message in the notification, literally: ${JSON.stringify(fromVisitor.body)}`);
    // Mallory mentions the owner again while the app is open and hidden.
    await convs.mallory.call("ConversationService", "AddNote", { conversationId: convs.api, clientId: crypto.randomUUID(), body: `@owner ${PAYLOADS[3].text}`, mentionUserIds: [convs.ownerId] });
    const mention = await eventually(() => notes.find((n) => n.title.includes("mentioned you")), "the mention notification");
    assert.equal(mention.title, `${AGENT_NAME} mentioned you`);
    assert.ok(mention.body.includes("srcdoc"), `the note in the notification, literally: ${JSON.stringify(mention.body)}`);
    // The server's own list of the owner's notifications carries the same text.
    const listed = await owner.call("NotificationService", "ListNotifications", { workspaceId });
    assert.ok(listed.notifications.some((n) => n.title === `New message from ${UPDATED_NAME}`), "the stored notification's title");
    t.diagnostic(`notifications shown: ${notes.length}`);
    blocked.push(...(await verdict(t, app, "agent web app with notifications", [page.mainFrame()], { links: false })));
    assert.deepEqual(app.errors.map(String), [], "no page error in the app");
    await app.context.close();
  });
  test("a push for a payload-named visitor's payload message shows its text literally on the phone", async (t) => {
    pushsvc = await startPushService();
    const app = await watched(PHONE.viewport, PHONE.options);
    const { context, page } = app;
    await context.grantPermissions(["notifications"], { origin: server.url });
    await page.addInitScript(stubPushManager, pushsvc.subscription);
    await signIn(page, true);
    await page.locator("#settings-button").tap();
    // A click, not check(): the box follows the subscription once tandemd has it.
    await page.getByLabel("On this device while Tandem is closed").click();
    await page.locator("#push-note", { hasText: "This device is notified" }).waitFor();
    await page.getByRole("button", { name: "Close", exact: true }).tap();
    const message = `${PAYLOADS[4].text} ${PAYLOADS[7].text}`;
    await visitor(convs.apiToken, "SendMessage", { conversationId: convs.api, clientId: crypto.randomUUID(), body: message });
    const push = await pushsvc.next((p) => p.conversation_id === convs.api && String(p.body).includes("javascript:"));
    assert.equal(push.payload.title, `New message from ${UPDATED_NAME}`, "the pushed title, verbatim");
    assert.equal(push.payload.body, message, "the pushed body, verbatim");
    // The service worker shows it as the browser would on a delivery from its push service (DevTools stands in).
    const { shown, deliveries } = await showPush(context, page, server.url, push.raw, (n) => n.tag === push.payload.notification_id);
    t.diagnostic(`deliveries until shown: ${deliveries}`);
    assert.deepEqual({ title: shown.title, body: shown.body }, { title: push.payload.title, body: message }, "the notification shows the text as sent");
    blocked.push(...(await verdict(t, app, "agent web app with a push", [page.mainFrame()], { links: false })));
    assert.deepEqual(app.errors.map(String), [], "no page error in the app");
    await app.context.close();
    t.diagnostic(`blocked attempts: ${blocked.length}; refused on persist: ${rejected.length} (${rejected.map((r) => r.split(":")[0]).join(", ")})`);
  });
});
