// The web host's small pure parts: the CSRF cookie, backoff, file names,
// the session's guard against another tab's sign-in.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { grow, jitter, Wake, child } from "../src/web/backoff";
import { readCookie } from "../src/web/cookie";
import { runnable, safe } from "../src/web/filename";
import { sessionCsrf } from "../src/web/transport";

describe("cookies", () => {
  it("reads one cookie by name", () => {
    const c = "theme=dark; tandem_csrf=abc-DEF_123; other=1";
    expect(readCookie(c, "tandem_csrf")).toBe("abc-DEF_123");
    expect(readCookie("tandem_csrf=x", "tandem_csrf")).toBe("x");
    expect(readCookie("xtandem_csrf=no; tandem_csrfx=no", "tandem_csrf")).toBe("");
    expect(readCookie("", "tandem_csrf")).toBe("");
    expect(readCookie('a="quoted%20value"', "a")).toBe("quoted value");
    expect(readCookie("tandem_csrf=", "tandem_csrf")).toBe("");
  });

  it("refuses a request once the cookie is another session's", () => {
    let cookie = "s1";
    const csrf = sessionCsrf("s1", () => cookie);
    expect(csrf()).toBe("s1");
    cookie = "s2";
    expect(() => csrf()).toThrow(ConnectError);
    try {
      csrf();
    } catch (e) {
      expect((e as ConnectError).code).toBe(Code.Unauthenticated);
    }
    cookie = "";
    expect(() => csrf()).toThrow();
  });
});

describe("backoff", () => {
  it("doubles up to the cap and jitters over [d/2, d]", () => {
    const b = { min: 500, max: 30_000 };
    expect(grow(500, b)).toBe(1000);
    expect(grow(20_000, b)).toBe(30_000);
    expect(jitter(1000, () => 0)).toBe(500);
    expect(jitter(1000, () => 0.9999)).toBe(1000);
  });

  it("keeps a kick for the next wait, and ends waits on abort or timer", async () => {
    const w = new Wake();
    const never = new AbortController().signal;
    w.kick();
    expect(await w.wait(never)).toBe("kick");
    expect(await w.wait(never, 5)).toBe("timer");
    const p = w.wait(never, 10_000);
    w.kick();
    expect(await p).toBe("kick");
    const ctl = new AbortController();
    const q = w.wait(ctl.signal);
    ctl.abort();
    expect(await q).toBe("abort");
    const parent = new AbortController();
    const c = child(parent.signal);
    parent.abort("why");
    expect(c.signal.aborted).toBe(true);
  });
});

describe("file names", () => {
  it("makes names safe as Go's filename.Safe does", () => {
    const cases: Record<string, string> = {
      "invoice.pdf": "invoice.pdf",
      "../../etc/passwd": "passwd",
      "..\\..\\Windows\\win.ini": "win.ini",
      "/abs/path/x.txt": "x.txt",
      "C:\\x": "x",
      "..": "file",
      "": "file",
      "a\r\nContent-Type: text html": "a__Content-Type_ text html",
      "invoice\u202efdp.exe": "invoice_fdp.exe",
      CON: "_CON",
      "aux.txt": "_aux.txt",
      "trailing. . ": "trailing",
      ".hidden": "hidden",
      "what?.doc": "what_.doc",
      "tab\tname.txt": "tab_name.txt",
      "nul\x00byte.png": "nul_byte.png",
      "\ud800.txt": "_.txt",
    };
    for (const [input, want] of Object.entries(cases)) expect(safe(input), JSON.stringify(input)).toBe(want);
    const long = safe("é".repeat(300) + ".jpeg");
    expect(new TextEncoder().encode(long).length).toBeLessThanOrEqual(200);
    expect(long.endsWith(".jpeg") && long.startsWith("é")).toBe(true);
  });

  it("knows names that run programs", () => {
    const cases: Record<string, boolean> = {
      "setup.EXE": true, "run.sh": true, "app.AppImage": true, "x.desktop": true, "a.exe.": true,
      "photo.jpg": false, "report.pdf": false, notes: false, "archive.tar.gz": false,
    };
    for (const [name, want] of Object.entries(cases)) expect(runnable(name), name).toBe(want);
  });
});
