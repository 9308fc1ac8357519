// A push service on loopback for the browser tests: the part of Web Push
// that belongs to the browser's vendor (FCM for Chromium) and cannot run
// here. It hands the page a subscription whose endpoint is this server and
// whose keys the test holds, accepts tandemd's pushes (checking the VAPID
// authorization), decrypts each (RFC 8291, aes128gcm) with the
// subscription's private key, and the test then delivers the payload to
// the page's service worker through DevTools, as the browser would on a
// message from its push service.

import { createServer } from "node:http";
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from "node:crypto";

const b64url = (b) => Buffer.from(b).toString("base64url");

/** decrypt opens an aes128gcm body (RFC 8188) sent to a subscription (RFC 8291). */
export function decrypt(body, ecdh, authSecret) {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  const serverKey = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  if (ciphertext.length > rs) throw new Error(`one record expected, got ${ciphertext.length} bytes for rs ${rs}`);
  const shared = ecdh.computeSecret(serverKey);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), ecdh.getPublicKey(), serverKey]);
  const ikm = Buffer.from(hkdfSync("sha256", shared, authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const d = createDecipheriv("aes-128-gcm", cek, nonce);
  d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()]);
  const end = padded.lastIndexOf(2); // the last record's delimiter, then zero padding
  if (end < 0 || padded.subarray(end + 1).some((x) => x !== 0)) throw new Error("bad padding");
  return padded.subarray(0, end);
}

/** checkVapid verifies "vapid t=<jwt>, k=<key>" (RFC 8292): ES256 by the key, for this origin, not expired. */
function checkVapid(header, audience) {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? "");
  if (!m) throw new Error(`no VAPID authorization: ${header}`);
  const [h, p, sig] = m[1].split(".");
  const raw = Buffer.from(m[2], "base64url");
  const jwk = { kty: "EC", crv: "P-256", x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33, 65)) };
  const ok = verify("sha256", Buffer.from(`${h}.${p}`), { key: createPublicKey({ key: jwk, format: "jwk" }), dsaEncoding: "ieee-p1363" }, Buffer.from(sig, "base64url"));
  if (!ok) throw new Error("VAPID signature does not verify");
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  if (claims.aud !== audience) throw new Error(`VAPID audience ${claims.aud}, want ${audience}`);
  if (!(claims.exp * 1000 > Date.now())) throw new Error("VAPID token expired");
  return m[2];
}

/** startPushService listens on loopback and resolves to the subscription it serves and the pushes it got. */
export async function startPushService() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const authSecret = randomBytes(16);
  const received = [];
  const waiters = [];
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      try {
        const vapidKey = checkVapid(req.headers.authorization, `http://${req.headers.host}`);
        if (req.headers["content-encoding"] !== "aes128gcm") throw new Error(`content-encoding ${req.headers["content-encoding"]}`);
        const payload = decrypt(Buffer.concat(chunks), ecdh, authSecret).toString("utf8");
        received.push({ vapidKey, urgency: req.headers.urgency, topic: req.headers.topic, payload: JSON.parse(payload), raw: payload });
        for (const w of waiters.splice(0)) w();
        res.writeHead(201).end();
      } catch (e) {
        received.push({ error: String(e) });
        res.writeHead(400).end(String(e));
      }
    });
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const endpoint = `http://127.0.0.1:${srv.address().port}/push/${b64url(randomBytes(8))}`;
  return {
    /** The subscription the page gets, as PushSubscription.toJSON() shows it. */
    subscription: { endpoint, keys: { p256dh: b64url(ecdh.getPublicKey()), auth: b64url(authSecret) } },
    received,
    /** next waits for a push whose payload passes pred. */
    async next(pred = () => true, timeout = 20000) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const hit = received.find((r) => r.error || pred(r.payload));
        if (hit?.error) throw new Error(`a push tandemd sent was refused: ${hit.error}`);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no push within ${timeout} ms: ${JSON.stringify(received)}`);
        await new Promise((r) => {
          waiters.push(r);
          setTimeout(r, 250);
        });
      }
    },
    close: () =>
      new Promise((r) => {
        srv.close(r);
        srv.closeAllConnections(); // tandemd keeps its connection alive: the test's process must be able to end
      }),
  };
}

/**
 * stubPushManager (run in the page by addInitScript) makes PushManager
 * hand out the test's subscription: Debian's Chromium has no push service
 * to subscribe with. Everything around it (permission, the VAPID key from
 * tandemd, SubscribePush, the service worker) is the real one.
 */
export function stubPushManager(sub) {
  let current = null;
  const make = (key) => ({
    endpoint: sub.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: key },
    getKey: () => null,
    toJSON: () => ({ endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }),
    unsubscribe: async () => {
      current = null;
      return true;
    },
  });
  PushManager.prototype.subscribe = async function (opts) {
    const k = opts.applicationServerKey;
    current = make(k instanceof ArrayBuffer ? k : new Uint8Array(k).buffer);
    return current;
  };
  PushManager.prototype.getSubscription = async function () {
    return current;
  };
}

/** shownNotifications lists what the page's service worker shows. */
export function shownNotifications(page) {
  return page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return (await reg.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
  });
}

/** deliver hands data to the service worker registered for origin's /app/ through DevTools. */
async function deliver(context, page, origin, data) {
  const cdp = await context.newCDPSession(page);
  try {
    const registered = new Promise((resolve) => {
      cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
        const r = registrations.find((x) => x.scopeURL === `${origin}/app/` && !x.isDeleted);
        if (r) resolve(r.registrationId);
      });
    });
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.deliverPushMessage", { origin, registrationId: await registered, data });
  } finally {
    await cdp.detach();
  }
}

/**
 * showPush hands a push to the page's service worker as the browser does
 * when its push service delivers one (DevTools stands in for FCM) and
 * resolves to the notification the worker shows for it (the first that
 * match accepts) and how many deliveries it took. DevTools drops a
 * delivery made while the worker is being started or replaced without a
 * word, so one not shown within a few seconds is delivered again, as a
 * push service redelivers an unacknowledged message; the notification's
 * tag makes a second one replace the first.
 */
export async function showPush(context, page, origin, data, match, ms = 30_000) {
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  const deadline = Date.now() + ms;
  for (let deliveries = 1; ; deliveries++) {
    await deliver(context, page, origin, data);
    const retry = Math.min(Date.now() + 5_000, deadline);
    do {
      const shown = (await shownNotifications(page)).find(match);
      if (shown) return { shown, deliveries };
      await new Promise((r) => setTimeout(r, 150));
    } while (Date.now() < retry);
    if (Date.now() >= deadline) throw new Error(`the service worker showed none of ${deliveries} deliveries of the push`);
  }
}
