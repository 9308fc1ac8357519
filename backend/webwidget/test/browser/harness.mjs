// Test plumbing: a real tandemd (--demo, fresh data dir, free port), a
// headless Debian Chromium driven by playwright-core, and an agent acting
// through the Connect JSON API.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const widgetDir = resolve(here, "../..");
export const backendDir = resolve(widgetDir, "..");
export const artifactsDir = join(widgetDir, "artifacts");

export async function freePort() {
  return (await freePorts(1))[0];
}

/** freePorts finds n distinct free ports: all held open until every one is found. */
export async function freePorts(n) {
  const held = [];
  try {
    for (let i = 0; i < n; i++) {
      held.push(
        await new Promise((res, rej) => {
          const srv = createServer();
          srv.on("error", rej);
          srv.listen(0, "127.0.0.1", () => res(srv));
        }),
      );
    }
    return held.map((srv) => srv.address().port);
  } finally {
    await Promise.all(held.map((srv) => new Promise((res) => srv.close(res))));
  }
}

/** buildTandemd compiles tandemd once (TANDEMD_BIN skips it). */
export function buildTandemd() {
  if (process.env.TANDEMD_BIN) return process.env.TANDEMD_BIN;
  const dir = mkdtempSync(join(tmpdir(), "tandemd-bin-"));
  const bin = join(dir, "tandemd");
  execFileSync("go", ["build", "-o", bin, "./cmd/tandemd"], { cwd: backendDir, stdio: "inherit" });
  return bin;
}

/**
 * startTandemd runs tandemd --demo (with extra settings in env) and resolves when the demo page answers.
 * Its files origin listens on a port of its own and is reached as localhost (filesUrl): another host than
 * the API's 127.0.0.1, as tandemd's default has it, so no cookie of the app goes there.
 */
export async function startTandemd(bin, env = {}) {
  const [port, filesPort] = await freePorts(2);
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-widget-test-"));
  const url = `http://127.0.0.1:${port}`;
  const filesUrl = `http://localhost:${filesPort}`;
  const proc = spawn(bin, ["--demo"], {
    env: {
      ...process.env,
      TANDEM_DATA_DIR: dataDir,
      TANDEM_ADDR: `127.0.0.1:${port}`,
      TANDEM_FILES_ADDR: `127.0.0.1:${filesPort}`,
      TANDEM_FILES_URL: filesUrl,
      TANDEM_DATABASE_URL: "",
      TANDEM_NATS_URL: "",
      TANDEM_HEARTBEAT: "2s",
      TANDEM_LOG_LEVEL: "warn",
      TANDEM_METRICS_ADDR: "off",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (b) => (out += b));
  proc.stderr.on("data", (b) => (out += b));
  const deadline = Date.now() + 60000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`tandemd exited ${proc.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`tandemd did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const key = /widget key (pk_[0-9a-f]+)/.exec(out)?.[1];
  return {
    url,
    filesUrl,
    key,
    log: () => out,
    async stop() {
      proc.kill("SIGTERM");
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once("exit", r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * launchBrowser starts the system Chromium headless (no downloads); extraArgs
 * are for one test file's needs (a fake microphone, say).
 */
export function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", ...extraArgs],
  });
}

/** Agent acts for a team member through the Connect JSON API. */
export class Agent {
  constructor(url) {
    this.url = url;
    this.token = "";
  }

  async call(service, method, body) {
    const res = await fetch(`${this.url}/tandem.v1.${service}/${method}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${service}/${method}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async login(email = "agent@demo.tandem", password = "tandem-demo") {
    this.token = (await this.call("AuthService", "Login", { email, password })).token;
    return this;
  }

  takeOver(conversationId) {
    return this.call("ConversationService", "TakeOverConversation", { conversationId });
  }

  say(conversationId, body) {
    return this.call("ConversationService", "SendMessage", { conversationId, clientId: crypto.randomUUID(), body });
  }

  async history(conversationId) {
    const res = await this.call("ConversationService", "GetConversation", { conversationId, pageSize: 200 });
    return res;
  }
}

/** widgetCall calls the WidgetService at url as a visitor (token "" for StartSession). */
export function widgetCall(url, token, method, body) {
  const visitor = new Agent(url);
  visitor.token = token;
  return visitor.call("WidgetService", method, body);
}

/** openWidget loads the demo store and opens the chat; it returns the frame locator. */
export async function openWidget(page, url) {
  await page.goto(`${url}/`, { waitUntil: "domcontentloaded" });
  const frame = page.frameLocator("iframe[data-tandem-widget]");
  await frame.locator("button.launcher").click();
  await frame.locator("section.panel[role=dialog]").waitFor({ state: "visible" });
  await frame.locator("#tw-input").waitFor({ state: "visible" });
  return frame;
}

/** conversationId reads the chat's conversation id from the frame's storage. */
export async function conversationId(page, key) {
  const frame = page.frames().find((f) => f.url().includes("/widget/frame"));
  if (!frame) throw new Error("no widget frame");
  for (let i = 0; i < 100; i++) {
    const id = await frame.evaluate((k) => localStorage.getItem(`tandem:${k}:conversation`), key);
    if (id) return id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("no conversation id in storage");
}

export function ensureArtifacts() {
  mkdirSync(artifactsDir, { recursive: true });
  return artifactsDir;
}

/** TIMEOUT is generous: CI machines are shared and slow. */
export const TIMEOUT = Number(process.env.WIDGET_TEST_TIMEOUT ?? 30000);

/** newPage opens a fresh browser context (its own storage: a new visitor). */
export async function newPage(browser, viewport = { width: 1280, height: 800 }, options = {}) {
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  return { context, page, errors };
}

/** ask types text into the widget and sends it. */
export async function ask(frame, text) {
  await frame.locator("#tw-input").fill(text);
  await frame.locator("#tw-input").press("Enter");
}

/** eventually polls fn until it returns a truthy value, or fails naming what. */
export async function eventually(fn, what, ms = TIMEOUT) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
