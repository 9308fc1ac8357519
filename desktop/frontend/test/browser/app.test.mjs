// The agent web app (issue 20) in Debian Chromium against a real
// `tandemd --demo`: the same views as the desktop app, hosted by the
// browser at /app. A phone (390x844, touch) signs in, sees a customer's
// chat arrive live, takes it over and answers with text, a canned
// response and a voice message, loses the connection, answers again and
// reloads, and the customer gets each message once, in order. A desktop
// window gets the three panes. The app is installable (manifest, service
// worker) and runs under its CSP without a violation. Screenshots go to
// the artifacts dir CI keeps.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { ask, buildTandemd, ensureArtifacts, eventually, launchBrowser, newPage, openWidget, startTandemd, TIMEOUT } from "../../../../backend/webwidget/test/browser/harness.mjs";

const PHONE = { viewport: { width: 390, height: 844 }, options: { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } };
const DESKTOP = { viewport: { width: 1280, height: 800 }, options: {} };

let server;
let browser;

before(async () => {
  server = await startTandemd(buildTandemd());
  browser = await launchBrowser(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** openApp opens /app in a fresh context, watching for CSP violations and page errors. */
async function openApp(size) {
  const { context, page, errors } = await newPage(browser, size.viewport, size.options);
  await context.grantPermissions(["microphone"], { origin: server.url });
  const violations = [];
  await page.exposeFunction("reportViolation", (v) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => window.reportViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(`${server.url}/app/`);
  return { context, page, errors, violations };
}

async function signIn(page, email = "agent@demo.tandem") {
  await page.locator("#email").fill(email);
  await page.locator("#password").fill("tandem-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("main.panes").waitFor();
}

/** agentReplies lists the team's messages the customer's widget shows. */
function agentReplies(frame) {
  return frame.locator(".msg.from-agent .body, .msg.from-agent p").allTextContents();
}

describe("the agent web app", () => {
  test("phone: sign in, a chat arrives live, take over, reply by text, canned response and voice, offline and reload, each message once", async () => {
    const dir = ensureArtifacts();
    const agent = await openApp(PHONE);
    const customer = await newPage(browser, DESKTOP.viewport);
    try {
      const { page } = agent;
      assert.equal(await page.locator("#server").count(), 0, "the web app is its server's: no server to type");
      await page.screenshot({ path: join(dir, "app-phone-signin.png") });
      await signIn(page);
      await page.locator(".bottombar").waitFor();
      await page.locator(".bottombar button", { hasText: "All" }).tap();

      // A customer writes; the chat shows up live on the phone.
      const words = `Order ${Date.now() % 100000} never arrived, can a person help?`;
      const frame = await openWidget(customer.page, server.url);
      await ask(frame, words);
      const row = page.locator(".row-item", { hasText: words.slice(0, 20) });
      await row.waitFor({ timeout: TIMEOUT });
      await page.screenshot({ path: join(dir, "app-phone-inbox.png") });
      await row.tap();
      await page.locator("section.conversation").waitFor();
      assert.equal(await page.locator(".list").isVisible(), false, "one screen at a time on a phone");

      // The customer's screen and back.
      await page.getByRole("button", { name: "Customer" }).tap();
      await page.locator("aside.profile").waitFor();
      await page.getByRole("button", { name: "Back to the conversation" }).tap();
      await page.locator("section.conversation").waitFor();

      await page.getByRole("button", { name: /Take over/ }).tap();
      const composer = page.locator("#composer");
      await composer.fill("Hi, I'm on it.");
      await page.getByRole("button", { name: "Send", exact: true }).tap();
      await eventually(async () => (await agentReplies(frame)).includes("Hi, I'm on it."), "the customer to get the reply");

      // A canned response through "/".
      await composer.fill("/");
      const option = page.locator("[role=option] button").first();
      await option.waitFor();
      await option.tap();
      const canned = await eventually(async () => {
        const v = await composer.inputValue();
        return v.length > 1 && !v.startsWith("/") ? v : "";
      }, "the canned response to fill the composer");
      await page.getByRole("button", { name: "Send", exact: true }).tap();
      await eventually(async () => (await agentReplies(frame)).some((t) => t.length > 0 && canned.startsWith(t.slice(0, 10))), "the canned reply");

      // A voice message from the fake microphone.
      await page.getByRole("button", { name: "Record a voice message" }).tap();
      await page.locator(".recording .clock", { hasText: "0:02" }).waitFor({ timeout: 10000 });
      await page.getByRole("button", { name: "Attach", exact: true }).tap();
      await page.locator(".composer .files li", { hasText: /voice-message\.(webm|ogg|m4a)/ }).waitFor();
      await page.getByRole("button", { name: "Send", exact: true }).tap();
      const player = frame.locator(".msg.from-agent audio");
      await player.waitFor({ timeout: TIMEOUT });

      // Offline: two replies wait in the browser, survive a reload, and go once each, in order.
      await agent.context.setOffline(true);
      for (const text of ["Offline one", "Offline two"]) {
        await composer.fill(text);
        await page.getByRole("button", { name: "Send", exact: true }).tap();
      }
      await page.locator(".msg.outbox", { hasText: "Offline two" }).waitFor();
      await page.screenshot({ path: join(dir, "app-phone-offline.png") });
      await page.reload();
      // The shell comes from the service worker; the queued replies wait in IndexedDB.
      await page.locator("main").first().waitFor();
      await page.screenshot({ path: join(dir, "app-phone-offline-reloaded.png") });
      await agent.context.setOffline(false);
      await eventually(async () => {
        const r = await agentReplies(frame);
        return r.includes("Offline one") && r.includes("Offline two");
      }, "the offline replies to arrive");
      await new Promise((r) => setTimeout(r, 1500)); // a double would show by now
      const replies = await agentReplies(frame);
      for (const text of ["Hi, I'm on it.", "Offline one", "Offline two"]) {
        assert.equal(replies.filter((t) => t === text).length, 1, `"${text}" arrived once: ${JSON.stringify(replies)}`);
      }
      assert.ok(replies.indexOf("Offline one") < replies.indexOf("Offline two"), "in the order typed");

      // Installable: the manifest and the service worker over /app/.
      const scope = await page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.scope));
      assert.equal(scope, `${server.url}/app/`);
      const manifest = await page.evaluate(async () => {
        const href = document.querySelector("link[rel=manifest]").href;
        return (await fetch(href)).json();
      });
      assert.equal(manifest.display, "standalone");
      assert.deepEqual(agent.violations, [], "no CSP violation");
      assert.deepEqual(agent.errors.map(String), [], "no page error");
      await page.screenshot({ path: join(dir, "app-phone-conversation.png") });
    } finally {
      await agent.context.close();
      await customer.context.close();
    }
  });

  test("desktop: three panes, keyboard reply, sign out", async () => {
    const dir = ensureArtifacts();
    const agent = await openApp(DESKTOP);
    try {
      const { page } = agent;
      await signIn(page, "owner@demo.tandem");
      for (const pane of [".sidebar", ".list"]) assert.ok(await page.locator(pane).isVisible(), `${pane} shows beside the others`);
      assert.equal(await page.locator(".bottombar").isVisible(), false, "no bottom bar on a wide window");
      await page.screenshot({ path: join(dir, "app-desktop.png") });
      // Sign out ends the session: a reload asks to sign in again.
      const cookie = (await agent.context.cookies()).find((c) => c.name === "tandem_session");
      assert.ok(cookie?.httpOnly && cookie.secure && cookie.sameSite === "Strict", "the session cookie is HttpOnly, Secure, SameSite=Strict");
      assert.equal(await page.evaluate(() => document.cookie.includes("tandem_session")), false, "the page cannot read the session");
      assert.deepEqual(agent.violations, [], "no CSP violation");
    } finally {
      await agent.context.close();
    }
  });
});
