// The chat frame's entry point: /widget/frame?key=PUBLIC_KEY&host=ORIGIN.
// Inside a store's page it talks to the loader with postMessage, to the
// host origin only; opened on its own it is a full-page chat.

import "./widget.css";
import { cleanAttributes, isMessage, type FrameToHost, type HostToFrame, type Identity } from "../protocol";
import { App } from "./app";
import { buildUI } from "./ui/layout";

function hostOrigin(): string {
  const claimed = new URLSearchParams(location.search).get("host") ?? "";
  let origin = "";
  try {
    origin = new URL(claimed).origin;
  } catch {
    return "";
  }
  // Where the browser tells us who embeds us, it must agree.
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  if (ancestors && ancestors.length > 0 && ancestors[0] !== origin) return "";
  return origin;
}

function cleanIdentity(v: unknown): Identity | null {
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  const str = (x: unknown, max: number) => (typeof x === "string" ? x.slice(0, max) : undefined);
  return {
    name: str(o.name, 100),
    email: str(o.email, 254),
    attributes: cleanAttributes(o.attributes),
    identityJson: str(o.identityJson, 8192),
    signature: str(o.signature, 128),
  };
}

function start(): void {
  const params = new URLSearchParams(location.search);
  const key = params.get("key") ?? "";
  const root = document.getElementById("tandem") as HTMLElement;
  const standalone = window.parent === window;
  const host = standalone ? "" : hostOrigin();
  const post = (m: FrameToHost) => {
    if (host) window.parent.postMessage(m, host);
  };
  const ui = buildUI(root);
  root.classList.toggle("standalone", standalone);
  const app = new App(ui, { origin: location.origin, publicKey: key, storage: window.localStorage, post, standalone });

  if (standalone || !host) {
    app.boot(null, {}, document.referrer, true);
    return;
  }
  let booted = false;
  const fallback = window.setTimeout(() => {
    if (!booted) {
      booted = true;
      app.boot(null, {}, "", false);
    }
  }, 3000);
  window.addEventListener("message", (e: MessageEvent) => {
    if (e.origin !== host || e.source !== window.parent || !isMessage(e.data)) return;
    const m = e.data as HostToFrame;
    switch (m.type) {
      case "boot":
        if (booted) return;
        booted = true;
        clearTimeout(fallback);
        root.classList.toggle("phone", !!m.phone);
        app.boot(cleanIdentity(m.identity), cleanAttributes(m.attributes), typeof m.pageUrl === "string" ? m.pageUrl : "", !!m.open);
        break;
      case "open":
        app.setOpen(true);
        break;
      case "close":
        app.setOpen(false);
        break;
      case "layout":
        root.classList.toggle("phone", !!m.phone);
        break;
      case "identify": {
        const id = cleanIdentity(m.identity);
        if (id) app.identify(id);
        break;
      }
      case "attributes":
        app.setAttributes(cleanAttributes(m.attributes));
        break;
    }
  });
  post({ tandem: 1, type: "ready" });
}

start();
