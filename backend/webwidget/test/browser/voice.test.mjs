// Voice messages in a real Chromium against a real tandemd --demo, with
// Chromium's fake microphone (a beep) and its permission prompt answered
// yes: the customer records about two seconds and sends them, the server
// holds an audio attachment, and the widget plays it; Cancel sends
// nothing; a refused microphone says so; and an agent's voice reply (a
// WebM recorded here, which carries no duration) plays live in the
// widget. Every page watches for Content-Security-Policy violations.
// Screenshots of the recording bar and the players go to the artifacts dir.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { Agent, ask, buildTandemd, conversationId, ensureArtifacts, eventually, launchBrowser, newPage as openPage, openWidget, startTandemd } from "./harness.mjs";

let server;
let browser;

before(async () => {
  server = await startTandemd(buildTandemd());
  assert.ok(server.key, "the demo printed its widget key");
  browser = await launchBrowser(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * watch runs in every frame before its scripts: it keeps the CSP
 * violations reported and the microphone streams handed out, so a test can
 * ask whether their tracks were stopped. With refuse, the microphone is
 * refused as a customer saying no would.
 */
function watch(refuse) {
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  window.__streams = [];
  const devices = navigator.mediaDevices;
  if (!devices?.getUserMedia) return;
  const real = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    if (refuse) throw new DOMException("Permission denied", "NotAllowedError");
    const stream = await real(constraints);
    window.__streams.push(stream);
    return stream;
  };
}

/** newPage is a new visitor whose frames are watched; it counts uploads, sends and fetches of files' bytes, and keeps CSP complaints. */
async function newPage({ refuse = false } = {}) {
  const p = await openPage(browser);
  await p.context.addInitScript(watch, refuse);
  p.uploads = [];
  p.sends = [];
  p.fetched = [];
  p.cspConsole = [];
  p.page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (r.method() === "POST" && path === "/files") p.uploads.push(r.url());
    if (r.method() === "GET" && /^\/files\/[^/]+$/.test(path)) p.fetched.push(r.allHeaders().then((headers) => ({ url: r.url(), headers }), () => ({ url: r.url(), headers: {} })));
    if (/WidgetService\/(SendMessage|StartConversation)$/.test(path)) p.sends.push(path);
  });
  p.page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) p.cspConsole.push(m.text());
  });
  return p;
}

const widgetFrame = (page) => page.frames().find((f) => f.url().includes("/widget/frame"));

/** noViolations checks both frames' CSP reports and the console. */
async function noViolations(p) {
  assert.deepEqual(await p.page.evaluate(() => window.__csp), [], "no CSP violation on the store's page");
  assert.deepEqual(await widgetFrame(p.page).evaluate(() => window.__csp), [], "no CSP violation in the chat frame");
  assert.deepEqual(p.cspConsole, [], "no CSP complaint on the console");
}

/** micReleased says whether the chat frame had the microphone and stopped every track it got. */
function micReleased(page) {
  return widgetFrame(page).evaluate(() => window.__streams.length > 0 && window.__streams.every((s) => s.getTracks().every((t) => t.readyState === "ended")));
}

/** loaded waits until a player has its metadata and a finite length, and returns what it shows. */
async function loaded(player) {
  await player.waitFor();
  await eventually(() => player.evaluate((a) => a.readyState >= 1 && Number.isFinite(a.duration) && a.duration > 0), "the clip's metadata and length");
  return player.evaluate((a) => ({
    duration: a.duration,
    currentTime: a.currentTime,
    label: a.getAttribute("aria-label"),
    shown: a.parentElement.querySelector(".voice-length").textContent,
    src: a.getAttribute("src"),
    controls: a.hasAttribute("controls"),
    preload: a.getAttribute("preload"),
  }));
}

/** recordInPage records ms of the fake microphone with MediaRecorder in the store's page, as WebM bytes. */
async function recordInPage(page, ms) {
  const b64 = await page.evaluate(async (ms) => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const rec = new MediaRecorder(stream, { mimeType: "audio/webm;codecs=opus" });
    const chunks = [];
    rec.ondataavailable = (e) => chunks.push(e.data);
    const stopped = new Promise((r) => (rec.onstop = r));
    rec.start();
    await new Promise((r) => setTimeout(r, ms));
    rec.stop();
    await stopped;
    for (const t of stream.getTracks()) t.stop();
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  }, ms);
  return Buffer.from(b64, "base64");
}

/** upload sends a file as the agent through the files route, as the widget does for the customer. */
async function upload(agent, conversationId, name, bytes) {
  const q = new URLSearchParams({ conversation_id: conversationId, client_id: crypto.randomUUID(), name });
  const res = await fetch(`${agent.url}/files?${q}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${agent.token}`, "Content-Type": "application/octet-stream" },
    body: bytes,
  });
  const json = await res.json();
  assert.equal(res.status, 200, `upload: ${JSON.stringify(json)}`);
  return json;
}

const EBML = "1a45dfa3"; // a WebM file's first four bytes

describe("voice messages", () => {
  test("the customer records about two seconds and sends them; the server holds the audio, the widget plays it", async () => {
    const p = await newPage();
    try {
      const frame = await openWidget(p.page, server.url);
      assert.match(await p.page.locator("iframe[data-tandem-widget]").getAttribute("allow"), /\bmicrophone\b/, "the loader lets the chat ask for the microphone");
      const mic = frame.locator("button.mic");
      await mic.waitFor();
      assert.equal(await mic.getAttribute("aria-label"), "Record a voice message");

      await mic.click();
      const bar = frame.locator(".recorder[data-state=recording]");
      await bar.waitFor();
      assert.equal(await frame.locator(".composer-row").isHidden(), true, "the bar takes the composer's place");
      assert.match(await frame.locator(".recorder-status").textContent(), /Recording/);
      await eventually(async () => (await frame.locator(".recorder-time").textContent()) === "0:02", "the timer at 0:02", 10000);
      assert.equal(p.uploads.length, 0, "nothing sent while recording");
      await p.page.screenshot({ path: join(ensureArtifacts(), "widget-voice-recording.png") });
      await frame.locator("button.recorder-send").click();

      const player = frame.locator(".msg.from-customer .voice audio");
      const shown = await loaded(player);
      assert.equal(shown.controls, true);
      assert.equal(shown.preload, "metadata");
      assert.match(shown.src, /^blob:/);
      assert.ok(shown.duration > 1 && shown.duration < 4, `a clip of about two seconds, not ${shown.duration}`);
      assert.match(shown.shown, /^0:0[1-3]$/);
      assert.equal(shown.label, `Voice message, ${shown.shown}`);
      assert.ok(shown.currentTime < 0.5, "the player is back at the start after learning the length");
      assert.equal(await frame.locator(".recorder").isHidden(), true);
      assert.equal(await frame.locator(".composer-row").isVisible(), true);
      assert.equal(p.uploads.length, 1, "one upload");
      assert.match(p.uploads[0], /name=voice-message\.webm/);
      await eventually(() => micReleased(p.page), "the microphone's tracks stopped");

      // The clip plays (muted: nobody listens to CI).
      const played = await player.evaluate(async (a) => {
        a.muted = true;
        await a.play();
        await new Promise((r) => setTimeout(r, 600));
        a.pause();
        return a.currentTime;
      });
      assert.ok(played > 0, `the clip played (at ${played})`);

      // On the server: a message with the audio attached, a real WebM.
      const id = await conversationId(p.page, server.key);
      const agent = await new Agent(server.url).login();
      const withAudio = await eventually(async () => (await agent.history(id)).history.find((m) => m.attachments?.some((a) => a.contentType?.startsWith("audio/"))), "the voice message on the server");
      assert.equal(withAudio.authorKind, "AUTHOR_KIND_CUSTOMER");
      const [file] = withAudio.attachments;
      assert.equal(file.name, "voice-message.webm");
      assert.equal(file.contentType, "audio/webm");
      assert.ok(Number(file.sizeBytes) > 1000, `a real recording, not ${file.sizeBytes} bytes`);
      const res = await fetch(`${server.url}/files/${file.id}`, { headers: { Authorization: `Bearer ${agent.token}` } });
      assert.equal(res.status, 200);
      assert.equal(Buffer.from(await res.arrayBuffer()).subarray(0, 4).toString("hex"), EBML);

      await noViolations(p);
      assert.deepEqual(p.errors, []);
    } finally {
      await p.context.close();
    }
  });

  test("Cancel throws the recording away: nothing uploaded or sent, the microphone stopped", async () => {
    const p = await newPage();
    try {
      const frame = await openWidget(p.page, server.url);
      await frame.locator("button.mic").click();
      await frame.locator(".recorder[data-state=recording]").waitFor();
      await eventually(async () => (await frame.locator(".recorder-time").textContent()) === "0:01", "the timer at 0:01", 10000);
      await frame.locator("button.recorder-cancel").click();
      await frame.locator(".recorder").waitFor({ state: "hidden" });
      assert.equal(await frame.locator(".composer-row").isVisible(), true);
      await eventually(() => micReleased(p.page), "the microphone's tracks stopped");
      await p.page.waitForTimeout(1500); // time for anything sent by mistake to go
      assert.deepEqual(p.uploads, [], "nothing uploaded");
      assert.deepEqual(p.sends, [], "no message sent, no conversation started");
      assert.equal(await frame.locator(".messages .voice").count(), 0);
      await noViolations(p);
      assert.deepEqual(p.errors, []);
    } finally {
      await p.context.close();
    }
  });

  test("a refused microphone is said in the widget, and nothing is sent", async () => {
    const p = await newPage({ refuse: true });
    try {
      const frame = await openWidget(p.page, server.url);
      await frame.locator("button.mic").click();
      const note = frame.locator(".upload.error");
      await note.waitFor();
      assert.match(await note.textContent(), /may not use your microphone/);
      assert.equal(await note.getAttribute("role"), "status");
      assert.equal(await frame.locator(".recorder").isHidden(), true);
      assert.equal(await frame.locator(".composer-row").isVisible(), true);
      await p.page.waitForTimeout(500);
      assert.deepEqual(p.uploads, []);
      assert.deepEqual(p.sends, []);
      await noViolations(p);
    } finally {
      await p.context.close();
    }
  });

  test("an agent's voice reply plays live in the widget, its length learnt although the WebM does not say it", async () => {
    const p = await newPage();
    try {
      const frame = await openWidget(p.page, server.url);
      await ask(frame, "Can I return an item?");
      await frame.locator(".msg.from-bot").first().waitFor();
      const id = await conversationId(p.page, server.key);
      const agent = await new Agent(server.url).login();
      await agent.takeOver(id);
      await frame.locator(".banner", { hasText: "joined the chat" }).waitFor();

      const webm = await recordInPage(p.page, 1600);
      assert.equal(webm.subarray(0, 4).toString("hex"), EBML);
      const file = await upload(agent, id, "reply.webm", webm);
      assert.equal(file.contentType, "audio/webm");
      await agent.call("ConversationService", "SendMessage", { conversationId: id, clientId: crypto.randomUUID(), body: "Here is how returns work.", fileIds: [file.id] });

      const reply = frame.locator(".msg.from-agent", { hasText: "Here is how returns work." });
      await reply.waitFor();
      const shown = await loaded(reply.locator(".voice audio"));
      assert.ok(shown.duration > 1 && shown.duration < 3, `about 1.6 s, not ${shown.duration}`);
      assert.match(shown.shown, /^0:01$/);
      assert.equal(shown.label, "Voice message, 0:01");
      assert.ok(shown.currentTime < 0.5, "back at the start");
      assert.equal(await reply.locator("button.file").count(), 0, "a player, not a download button");
      // The clip came by its link from the files origin, another host than the widget's, with no token or cookie.
      const got = (await Promise.all(p.fetched)).filter((r) => r.url.includes(file.id));
      assert.ok(got.length > 0, "the widget fetched the clip");
      for (const r of got) {
        assert.equal(new URL(r.url).origin, new URL(server.filesUrl).origin, `the clip came from the files origin, not ${new URL(r.url).origin}`);
        assert.deepEqual(["authorization", "cookie"].filter((h) => r.headers[h] !== undefined), [], "no token or cookie went to the files origin");
      }
      assert.notEqual(new URL(server.filesUrl).hostname, new URL(server.url).hostname, "the files origin is another host");
      await p.page.screenshot({ path: join(ensureArtifacts(), "widget-voice-player.png") });
      await noViolations(p);
      assert.deepEqual(p.errors, []);
    } finally {
      await p.context.close();
    }
  });
});
