// The agent web app (issue 20) in Debian Chromium against a real
// `tandemd --demo`: the same views as the desktop app, hosted by the
// browser at /app. A phone (390x844, touch) signs in and switches push on;
// a customer's new chat arrives live and as a Web Push (tandemd encrypts
// it to the test's push service, which decrypts it; the service worker
// shows it, and clicking it opens the chat, in the open app or from its
// link). The agent takes over and answers with text, a canned response
// and a voice message, hears the customer's voice message, loses the
// connection, answers again and reloads: the app opens offline on the
// last inbox and conversation it saw, and the customer gets each message
// once, in order. A desktop window gets the three panes and is driven by
// the keyboard alone. The app is installable (manifest, service worker)
// and runs under its CSP without a violation. Screenshots go to the
// artifacts dir CI keeps.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { ask, buildTandemd, ensureArtifacts, eventually, launchBrowser, newPage, openWidget, startTandemd, TIMEOUT } from "../../../../backend/webwidget/test/browser/harness.mjs";
import { showPush, startPushService, stubPushManager } from "./pushservice.mjs";

const PHONE = { viewport: { width: 390, height: 844 }, options: { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } };
const DESKTOP = { viewport: { width: 1280, height: 800 }, options: {} };

let server;
let browser;

before(async () => {
  // Pushes may go to the test's push service on loopback.
  server = await startTandemd(buildTandemd(), { TANDEM_PUSH_ALLOW: "127.0.0.1/32" });
  browser = await launchBrowser(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * openApp opens /app in a fresh context, watching for CSP violations and
 * page errors; with push, the page subscribes to the test's push service.
 */
async function openApp(size, { push = null, path = "/app/" } = {}) {
  const { context, page, errors } = await newPage(browser, size.viewport, size.options);
  await context.grantPermissions(["microphone", "notifications"], { origin: server.url });
  if (push) await page.addInitScript(stubPushManager, push);
  const violations = [];
  await page.exposeFunction("reportViolation", (v) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => window.reportViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(server.url + path);
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
  test("phone: sign in, push for a new chat, take over, reply by text, canned response and voice, hear the customer's voice, offline, reload and reopen offline, each message once", async () => {
    const dir = ensureArtifacts();
    const pushsvc = await startPushService();
    const agent = await openApp(PHONE, { push: pushsvc.subscription });
    const customer = await newPage(browser, DESKTOP.viewport);
    await customer.context.grantPermissions(["microphone"], { origin: server.url });
    try {
      const { page } = agent;
      assert.equal(await page.locator("#server").count(), 0, "the web app is its server's: no server to type");
      await page.screenshot({ path: join(dir, "app-phone-signin.png") });
      await signIn(page);
      await page.locator(".bottombar").waitFor();

      // Push on this device: the browser's permission, tandemd's VAPID key, the subscription given to tandemd.
      await page.locator("#settings-button").tap();
      // The box follows the subscription once tandemd has it (a click, not
      // check(): the box may show its old state until then).
      const pushBox = page.getByLabel("On this device while Tandem is closed");
      await pushBox.click();
      await page.locator("#push-note", { hasText: "This device is notified" }).waitFor();
      assert.ok(await pushBox.isChecked(), "the push box is checked once the device is subscribed");
      await page.screenshot({ path: join(dir, "app-phone-push-on.png") });
      await page.getByRole("button", { name: "Close", exact: true }).tap();
      await page.locator(".bottombar button", { hasText: "All" }).tap();

      // A customer writes; the chat shows up live on the phone, and tandemd pushes it.
      const words = `Order ${Date.now() % 100000} never arrived, can a person help?`;
      const frame = await openWidget(customer.page, server.url);
      await ask(frame, words);
      const row = page.locator(".row-item", { hasText: words.slice(0, 20) });
      await row.waitFor({ timeout: TIMEOUT });
      await page.screenshot({ path: join(dir, "app-phone-inbox.png") });
      const push = await pushsvc.next((p) => p.conversation_id !== "" && ["new_conversation", "handoff"].includes(p.type));
      assert.equal(push.urgency, "high", "a new chat or a handoff is pushed with high urgency");
      assert.match(push.topic ?? "", /^[A-Za-z0-9_-]{1,32}$/, "a Topic, so the push service replaces an undelivered one");
      assert.ok(push.payload.title && push.payload.notification_id && push.payload.workspace_id, `a whole notification: ${push.raw}`);

      // The service worker shows it; clicking it (the app is open) shows its conversation on the phone.
      const { shown } = await showPush(agent.context, page, server.url, push.raw, (n) => n.data?.conversation_id === push.payload.conversation_id);
      assert.equal(shown.title, push.payload.title);
      assert.equal(shown.tag, push.payload.notification_id, "tagged by notification, so the app's own one replaces it");
      const [sw] = agent.context.serviceWorkers();
      await sw.evaluate(async () => {
        const [n] = await self.registration.getNotifications();
        self.dispatchEvent(new NotificationEvent("notificationclick", { notification: n }));
      });
      await page.locator("section.conversation", { hasText: words.slice(0, 20) }).waitFor();
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

      // A quick reply: one tap on a chip above the empty composer.
      const chip = page.getByRole("group", { name: "Quick replies" }).getByRole("button").nth(1);
      await chip.tap();
      const quick = await eventually(async () => (await composer.inputValue()).trim(), "the quick reply to fill the composer");
      await page.getByRole("button", { name: "Send", exact: true }).tap();
      const sentQuick = await eventually(async () => (await agentReplies(frame)).filter((t) => t.length > 0 && quick.startsWith(t.slice(0, 10))).length, "the quick reply");
      assert.ok(sentQuick >= 1);

      // A voice message from the fake microphone.
      await page.getByRole("button", { name: "Record a voice message" }).tap();
      await page.locator(".recording .clock", { hasText: "0:02" }).waitFor({ timeout: 10000 });
      await page.getByRole("button", { name: "Attach", exact: true }).tap();
      await page.locator(".composer .files li", { hasText: /voice-message\.(webm|ogg|m4a)/ }).waitFor();
      await page.getByRole("button", { name: "Send", exact: true }).tap();
      const player = frame.locator(".msg.from-agent audio");
      await player.waitFor({ timeout: TIMEOUT });

      // The customer answers by voice; it arrives live on the phone and plays there.
      await frame.locator("button.mic").click();
      await eventually(async () => (await frame.locator(".recorder-time").textContent()) === "0:02", "the widget's timer at 0:02", 10000);
      await frame.locator("button.recorder-send").click();
      const fromCustomer = page.locator(".msg.customer .voice");
      await fromCustomer.getByRole("button", { name: /^Play Voice message/ }).tap({ timeout: TIMEOUT });
      const heard = await fromCustomer.locator("audio").evaluate(async (a) => {
        a.muted = true;
        if (a.readyState < 1) await new Promise((r) => a.addEventListener("loadedmetadata", r, { once: true }));
        await a.play();
        const from = a.currentTime;
        await new Promise((r) => setTimeout(r, 600));
        return { src: a.src.slice(0, 5), played: a.currentTime - from };
      });
      assert.equal(heard.src, "blob:", "played from the downloaded file (the CSP allows no data: media)");
      assert.ok(heard.played > 0.2, `the customer's clip plays: ${JSON.stringify(heard)}`);

      // Offline: two replies wait in the browser, survive a reload, and go once each, in order.
      await agent.context.setOffline(true);
      for (const text of ["Offline one", "Offline two"]) {
        await composer.fill(text);
        await page.getByRole("button", { name: "Send", exact: true }).tap();
        await page.locator(".msg.outbox", { hasText: text }).waitFor(); // stored before it shows as queued
      }
      await page.screenshot({ path: join(dir, "app-phone-offline.png") });
      await page.reload();
      // The shell comes from the service worker, the last inbox from IndexedDB; the queued replies wait there too.
      await page.locator(".bottombar button", { hasText: "All" }).tap();
      await page.locator(`.row-item[data-id="${push.payload.conversation_id}"]`).tap();
      // The conversation as it was last opened, with the replies waiting to go.
      await page.locator("section.conversation", { hasText: words.slice(0, 20) }).waitFor();
      await page.locator(".msg.outbox", { hasText: "Offline two" }).waitFor();
      await page.locator(".conn.offline").waitFor({ state: "attached" }); // the phone shows it as the presence chip
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

      // A push clicked while the app is closed opens /app/ at its conversation (sw.js builds the link).
      const target = await agent.context.serviceWorkers()[0].evaluate(() => typeof linkFor === "function");
      assert.equal(target, true, "the service worker builds the notification's link");
      const link = await agent.context.serviceWorkers()[0].evaluate((d) => linkFor(d), push.payload);
      const again = await agent.context.newPage();
      await again.goto(server.url + link);
      await again.locator("section.conversation", { hasText: words.slice(0, 20) }).waitFor();
      assert.equal(new URL(again.url()).hash, "", "the link is consumed");
      await again.close();
    } catch (e) {
      await agent.page.screenshot({ path: join(dir, "app-phone-failed.png") }).catch(() => undefined);
      throw e;
    } finally {
      await agent.context.close();
      await customer.context.close();
      await pushsvc.close();
    }
  });

  test("desktop: three panes; keyboard only: sign in, find the chat, take over, reply; sign out", async () => {
    const dir = ensureArtifacts();
    const agent = await openApp(DESKTOP);
    const customer = await newPage(browser, DESKTOP.viewport);
    try {
      const { page } = agent;
      // Signing in with the keyboard alone: the email field has focus.
      await page.keyboard.type("owner@demo.tandem");
      await page.keyboard.press("Tab");
      await page.keyboard.type("tandem-demo");
      await page.keyboard.press("Enter");
      await page.locator("main.panes").waitFor();
      for (const pane of [".sidebar", ".list"]) assert.ok(await page.locator(pane).isVisible(), `${pane} shows beside the others`);
      assert.equal(await page.locator(".bottombar").isVisible(), false, "no bottom bar on a wide window");
      await page.screenshot({ path: join(dir, "app-desktop.png") });
      const quickShown = async () => page.getByRole("group", { name: "Quick replies" }).isVisible();

      // A customer writes; g a, then j down the list to their chat, t to take over, r to write, Ctrl+Enter to send.
      const words = `Keyboard ${Date.now() % 100000}: my parcel is damaged, a person please`;
      const frame = await openWidget(customer.page, server.url);
      await ask(frame, words);
      await page.keyboard.press("g");
      await page.keyboard.press("a");
      const row = page.locator(".row-item", { hasText: words.slice(0, 16) });
      await row.waitFor({ timeout: TIMEOUT });
      const id = await row.getAttribute("data-id");
      const current = () => page.evaluate(() => document.querySelector(".row-item.current")?.getAttribute("data-id") ?? null);
      for (let i = 0; i < 50 && (await current()) !== id; i++) {
        const before = await current();
        await page.keyboard.press("j");
        await eventually(async () => (await current()) !== before, "j to move down the list", 5000);
      }
      assert.equal(await current(), id, "j reaches the customer's chat");
      await page.locator("section.conversation", { hasText: words.slice(0, 16) }).waitFor();
      await page.keyboard.press("t");
      await page.locator("section.conversation", { hasText: "owned by you" }).waitFor();
      assert.equal(await quickShown(), false, "quick replies are the phone's: the keyboard has / and Ctrl+K");
      await page.keyboard.press("r");
      await eventually(async () => (await page.evaluate(() => document.activeElement?.id)) === "composer", "r to put the cursor in the composer", 5000);
      await page.keyboard.type("Sorry about that, sending a new one today.");
      await page.keyboard.press("Control+Enter");
      await eventually(async () => (await agentReplies(frame)).includes("Sorry about that, sending a new one today."), "the keyboard reply to reach the customer");
      await page.keyboard.press("Escape");
      await page.keyboard.press("?");
      await page.getByRole("dialog", { name: /shortcuts/i }).waitFor();
      await page.keyboard.press("Escape");
      await page.getByRole("dialog", { name: /shortcuts/i }).waitFor({ state: "detached" });
      // The session is a cookie the page cannot read; signing out ends it, and a reload asks to sign in again.
      const cookie = (await agent.context.cookies()).find((c) => c.name === "tandem_session");
      assert.ok(cookie?.httpOnly && cookie.secure && cookie.sameSite === "Strict", "the session cookie is HttpOnly, Secure, SameSite=Strict");
      assert.equal(await page.evaluate(() => document.cookie.includes("tandem_session")), false, "the page cannot read the session");
      await page.locator("#settings-button").click();
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.locator("#password").waitFor();
      assert.equal((await agent.context.cookies()).some((c) => c.name === "tandem_session" && c.value !== ""), false, "the session cookie is gone");
      await page.reload();
      await page.locator("#password").waitFor();
      assert.deepEqual(agent.violations, [], "no CSP violation");
      assert.deepEqual(agent.errors.map(String), [], "no page error");
    } finally {
      await agent.context.close();
      await customer.context.close();
    }
  });
});
