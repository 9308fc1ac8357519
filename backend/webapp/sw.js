// The agent web app's service worker (served at /app/sw.js, scope /app/).
// It keeps the app shell so the app opens offline (the page then shows
// the last inbox it saw, which it keeps itself), and it shows Web Push
// notifications and opens their conversation when clicked. The API is
// never cached: every call goes to the network.
//
// tandemd fills in PRECACHE (the shell: the page and its hashed assets)
// and VERSION (a hash of them) when it serves this file.
const PRECACHE = /*PRECACHE*/[];
const VERSION = /*VERSION*/"dev";
const CACHE = "tandem-app-" + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("tandem-app-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/app/")) return;
  if (url.pathname.startsWith("/app/assets/")) {
    // Hashed names never change: the cache first.
    event.respondWith(caches.match(req).then((hit) => hit || fetch(req)));
    return;
  }
  if (req.mode === "navigate") {
    // The page from the network when there is one, else the kept shell.
    event.respondWith(fetch(req).catch(() => caches.match("/app/").then((hit) => hit || Response.error())));
  }
});

self.addEventListener("push", (event) => {
  let n = {};
  try {
    n = event.data ? event.data.json() : {};
  } catch {
    n = { title: "Tandem", body: event.data ? event.data.text() : "" };
  }
  const title = n.title || "Tandem";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: n.body || "",
      tag: n.notification_id || undefined,
      icon: "/app/icon-192.png",
      data: { conversation_id: n.conversation_id || "", workspace_id: n.workspace_id || "" },
    }),
  );
});

// linkFor is the page a notification opens when no window of the app is:
// the app at the notification's conversation (the page reads the link).
function linkFor(data) {
  if (!data.conversation_id) return "/app/";
  const link = new URLSearchParams({ conversation: data.conversation_id });
  if (data.workspace_id) link.set("workspace", data.workspace_id);
  return "/app/#" + link.toString();
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const target = linkFor(data);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).pathname.startsWith("/app/"));
      if (open) {
        open.postMessage({ type: "open", conversation_id: data.conversation_id || "", workspace_id: data.workspace_id || "" });
        return open.focus();
      }
      return self.clients.openWindow(target);
    }),
  );
});
