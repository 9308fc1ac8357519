// The loader stores embed:
//
//   <script src="https://HOST/widget.js" data-workspace="KEY" async></script>
//
// It adds one iframe (the launcher and the chat, served by tandemd, so the
// page's CSS and scripts cannot reach into it) and window.Tandem, which
// talks to the frame with postMessage, to tandemd's origin only.

import { cleanAttributes, isMessage, type FrameToHost, type HostToFrame, type Identity, type PublicMessage } from "../protocol";

type Handler = (payload: unknown) => void;
type Queued = [string, ...unknown[]];

interface TandemAPI {
  open(): void;
  close(): void;
  toggle(): void;
  identify(identity: Identity): void;
  setAttributes(attributes: Record<string, unknown>): void;
  on(event: "message" | "open" | "close" | "unread" | "ready", fn: Handler): () => void;
  off(event: string, fn: Handler): void;
}

declare global {
  interface Window {
    Tandem?: TandemAPI | Queued[];
  }
}

const PHONE_MAX = 480;
const CLOSED = { width: "96px", height: "96px" };

function findScript(): HTMLScriptElement | null {
  if (document.currentScript instanceof HTMLScriptElement) return document.currentScript;
  const all = document.querySelectorAll<HTMLScriptElement>("script[data-workspace]");
  return all.length ? all[all.length - 1] : null;
}

function main(): void {
  if (window.Tandem && !Array.isArray(window.Tandem)) return; // loaded twice
  const script = findScript();
  const key = script?.dataset.workspace ?? "";
  if (!script || !key) {
    console.warn("Tandem: the widget script needs data-workspace");
    return;
  }
  const origin = new URL(script.src, location.href).origin;
  const queued = Array.isArray(window.Tandem) ? window.Tandem : [];

  const handlers = new Map<string, Set<Handler>>();
  const emit = (event: string, payload: unknown) => {
    for (const fn of handlers.get(event) ?? []) {
      try {
        fn(payload);
      } catch (err) {
        console.error(err);
      }
    }
  };

  let identity: Identity | null = null;
  let attributes: Record<string, string> = {};
  let open = false;
  let ready = false;
  const pending: HostToFrame[] = [];

  const frame = document.createElement("iframe");
  const src = new URL("/widget/frame", origin);
  src.searchParams.set("key", key);
  src.searchParams.set("host", location.origin);
  frame.src = src.href;
  frame.title = "Chat";
  // The chat may ask for the microphone (voice messages; the browser still
  // asks the customer), and for nothing else. "microphone" alone delegates
  // it to the frame's origin, tandemd's, only.
  frame.setAttribute("allow", "microphone");
  frame.setAttribute("referrerpolicy", "no-referrer");
  frame.setAttribute("data-tandem-widget", "");
  const s = frame.style;
  s.setProperty("position", "fixed", "important");
  s.setProperty("bottom", "0", "important");
  s.setProperty("right", "0", "important");
  s.setProperty("border", "0", "important");
  s.setProperty("z-index", "2147483000", "important");
  s.setProperty("background", "transparent", "important");
  s.setProperty("color-scheme", "light", "important");
  s.setProperty("max-width", "100vw", "important");
  s.setProperty("max-height", "100vh", "important");

  const phone = () => window.innerWidth <= PHONE_MAX;
  const layout = () => {
    if (!open) {
      s.setProperty("width", CLOSED.width, "important");
      s.setProperty("height", CLOSED.height, "important");
    } else if (phone()) {
      s.setProperty("width", "100vw", "important");
      s.setProperty("height", "100%", "important");
    } else {
      s.setProperty("width", "456px", "important"); // a 396px panel and the room its shadow needs (widget.css)
      s.setProperty("height", "min(720px, 100vh)", "important");
    }
  };
  layout();

  const send = (m: HostToFrame) => {
    if (!ready) pending.push(m);
    else frame.contentWindow?.postMessage(m, origin);
  };

  window.addEventListener("message", (e: MessageEvent) => {
    if (e.origin !== origin || e.source !== frame.contentWindow || !isMessage(e.data)) return;
    const m = e.data as FrameToHost;
    switch (m.type) {
      case "ready":
        if (ready) return;
        ready = true;
        frame.contentWindow?.postMessage(
          { tandem: 1, type: "boot", identity, attributes, open, phone: phone(), pageUrl: location.href } satisfies HostToFrame,
          origin,
        );
        for (const p of pending.splice(0)) frame.contentWindow?.postMessage(p, origin);
        emit("ready", undefined);
        break;
      case "open":
        open = !!m.open;
        layout();
        emit(open ? "open" : "close", undefined);
        break;
      case "unread":
        emit("unread", m.count);
        break;
      case "message": {
        const msg = m.message as PublicMessage;
        emit("message", {
          id: String(msg.id), author: String(msg.author), authorName: String(msg.authorName), body: String(msg.body),
          createTimeMs: Number(msg.createTimeMs),
        });
        break;
      }
    }
  });
  window.addEventListener("resize", () => {
    layout();
    send({ tandem: 1, type: "layout", phone: phone() });
  });

  const api: TandemAPI = {
    open() {
      send({ tandem: 1, type: "open" });
    },
    close() {
      send({ tandem: 1, type: "close" });
    },
    toggle() {
      send({ tandem: 1, type: open ? "close" : "open" });
    },
    identify(id: Identity) {
      identity = {
        name: id?.name, email: id?.email, attributes: cleanAttributes(id?.attributes), identityJson: id?.identityJson, signature: id?.signature,
      };
      if (ready) send({ tandem: 1, type: "identify", identity });
    },
    setAttributes(attrs: Record<string, unknown>) {
      attributes = { ...attributes, ...cleanAttributes(attrs) };
      if (ready) send({ tandem: 1, type: "attributes", attributes });
    },
    on(event, fn) {
      if (!handlers.has(event)) handlers.set(event, new Set());
      handlers.get(event)!.add(fn);
      return () => api.off(event, fn);
    },
    off(event, fn) {
      handlers.get(event)?.delete(fn);
    },
  };
  window.Tandem = api;

  // Calls made before the script loaded: window.Tandem = [["identify", {...}], ...].
  for (const [name, ...args] of queued) {
    const fn = (api as unknown as Record<string, (...a: unknown[]) => void>)[name];
    if (typeof fn === "function") fn(...args);
  }

  const mount = () => document.body.appendChild(frame);
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
  window.dispatchEvent(new Event("tandem:ready"));
}

main();
