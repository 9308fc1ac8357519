// The stored-XSS browser tests' shared parts (RELIABILITY.md INP-03): the
// payload corpus, a browser context armed with the canary, the attacker
// route and a CSP log, and the checks every surface goes through. Both
// xss.test.mjs and xss_more.test.mjs use them, so each surface is judged
// by the same rules.

import assert from "node:assert/strict";
import { newPage, TIMEOUT } from "../../../../backend/webwidget/test/browser/harness.mjs";

export const ATTACKER = "attacker.invalid";

// The corpus. Each entry's id is what window.__xss receives, or what the
// attacker's URL carries, if it runs; mark is text that must show
// literally where the payload is rendered as text.
export const PAYLOADS = [
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
export const SHORT = [
  `<img src=x onerror=__xss('short-img')>`,
  `<svg onload=__xss('short-svg')>`,
  `<script>__xss('short-script')</script>`,
  `{{constructor.constructor('__xss(1)')()}}`,
  `\u202Etxt.exe <b>zw\u200Bsp</b>`,
];

/**
 * storer returns store(t, rejected, service, method, body), which sets a
 * field through the API as the agent; a field that refuses a payload on
 * persist (InvalidArgument) is defense in depth, noted and skipped.
 */
export function storer(agent) {
  return async function store(t, rejected, service, method, body) {
    try {
      return await agent.call(service, method, body);
    } catch (e) {
      if (!/: 400 .*invalid_argument/.test(String(e.message))) throw e;
      rejected.push(`${method}: ${e.message}`);
      t.diagnostic(`refused on persist: ${e.message}`);
      return null;
    }
  };
}

/** watched opens a fresh context armed with the canary, the attacker route and a CSP log. */
export async function watched(browser, viewport, options = {}) {
  const { context, page, errors } = await newPage(browser, viewport, options);
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
 * With links (the default) an attacker's address must have been rendered
 * as a link, so the link checks saw something; a surface that links
 * nothing passes links: false.
 */
export async function verdict(t, w, surface, frames, { links = true } = {}) {
  let external = 0;
  assert.deepEqual(w.hits, [], `${surface}: a payload ran`);
  assert.deepEqual(w.loads, [], `${surface}: a payload loaded from the attacker's host`);
  const blocked = w.violations.filter((v) => v.includes(ATTACKER) || /\binline\b|eval/.test(v));
  const other = w.violations.filter((v) => !blocked.includes(v));
  assert.deepEqual(other, [], `${surface}: CSP violations`);
  for (const v of blocked) t.diagnostic(`${surface}: CSP blocked ${v}`);
  for (const f of frames) {
    const found = await f.evaluate(() =>
      [...document.querySelectorAll("a[href]")].map((a) => ({ href: a.href, raw: a.getAttribute("href"), rel: a.rel, origin: location.origin })),
    );
    for (const l of found) {
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
  if (links) assert.ok(external > 0, `${surface}: no link to the attacker's address was rendered, so the link checks saw nothing`);
  return blocked;
}

/**
 * shows waits until a surface's text holds every mark (so the payload was
 * rendered, as text), failing at once when a payload runs or loads meanwhile.
 */
export async function shows(w, locator, marks, what) {
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

/**
 * openConversation signs the demo's owner in to the agent web app at url
 * in w's page, goes to every conversation (g a) and opens convId; it
 * returns the inbox row.
 */
export async function openConversation(w, url, convId) {
  const { page } = w;
  await page.goto(`${url}/app/`);
  await page.locator("#email").fill("owner@demo.tandem");
  await page.locator("#password").fill("tandem-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("main.panes").waitFor();
  await page.keyboard.press("g");
  await page.keyboard.press("a");
  const row = page.locator(`.row-item[data-id="${convId}"]`);
  await row.waitFor();
  await row.click();
  return row;
}
