// Helpers of the browser tests of files (files.test.mjs, saved_files.test.mjs):
// carriers for payloads, uploads as the app and the widget make them, and
// the report of a file's script that ran.

import { Agent, newPage, widgetCall } from "../../../../backend/webwidget/test/browser/harness.mjs";

/** exif puts an APP1 (EXIF) segment holding s right after a JPEG's start marker. */
export function exif(jpeg, s) {
  const payload = Buffer.concat([Buffer.from("Exif\0\0II*\0\x08\0\0\0", "latin1"), Buffer.from(s)]);
  const head = Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
  return Buffer.concat([jpeg.subarray(0, 2), head, payload, jpeg.subarray(2)]);
}

/** upload POSTs a file to tandemd at url as the app and the widget do; it returns the status and the answer. */
export async function upload(url, token, conversationId, f) {
  const q = new URLSearchParams({ conversation_id: conversationId, client_id: crypto.randomUUID(), name: f.name });
  const res = await fetch(`${url}/files?${q}`, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream" }, body: f.body });
  return { status: res.status, json: await res.json() };
}

/** images asks the browser for a real PNG and JPEG (a canvas's), to carry payloads and still show as images. */
export async function images(browser) {
  const { context, page } = await newPage(browser);
  const urls = await page.evaluate(() => {
    const c = document.createElement("canvas");
    c.width = c.height = 8;
    c.getContext("2d").fillRect(0, 0, 4, 4);
    return [c.toDataURL("image/png"), c.toDataURL("image/jpeg")];
  });
  await context.close();
  return urls.map((u) => Buffer.from(u.split(",")[1], "base64"));
}

/** ran says where a file's script ran, as it reported it, and what of the origin's session it read. */
export function ran(report) {
  const d = JSON.parse(report);
  let keys = d.storage;
  try {
    keys = Object.keys(JSON.parse(d.storage)).join(", ");
  } catch {
    // the storage was out of its reach: the error says why
  }
  return `its script ${d.id} ran at ${d.at}, reading the cookies ${JSON.stringify(d.cookie.slice(0, 60))} and the storage (${keys})`;
}

/**
 * attaching opens a visitor's conversation in the demo's workspace at url
 * (widget key key), with files allowed in the widget, taken over by the
 * owner; it returns the owner, the visitor's token and the conversation.
 */
export async function attaching(url, key) {
  const owner = await new Agent(url).login("owner@demo.tandem");
  const workspaceId = (await owner.call("AuthService", "WhoAmI", {})).memberships[0].workspaceId;
  await owner.call("WorkspaceService", "UpdateWorkspace", { workspaceId, widget: { allowFiles: true } });
  const visitor = (await widgetCall(url, "", "StartSession", { publicKey: key })).token;
  const convId = (await widgetCall(url, visitor, "StartConversation", { clientId: crypto.randomUUID(), body: "I attach my order" })).conversation.id;
  await owner.takeOver(convId);
  return { owner, visitor, convId };
}
