// Messages between the loader on the store's page and the chat frame. Both
// sides check the sender's origin and window before reading one.

/** Identity the store passes to Tandem.identify. identityJson must be the exact signed bytes. */
export interface Identity {
  name?: string;
  email?: string;
  attributes?: Record<string, string>;
  identityJson?: string;
  signature?: string;
}

/** A message as Tandem.on('message', fn) receives it: plain text only. */
export interface PublicMessage {
  id: string;
  author: "customer" | "agent" | "bot" | "system";
  authorName: string;
  body: string;
  createTimeMs: number;
}

export type HostToFrame =
  | { tandem: 1; type: "boot"; identity: Identity | null; attributes: Record<string, string>; open: boolean; phone: boolean; pageUrl: string }
  | { tandem: 1; type: "open" }
  | { tandem: 1; type: "close" }
  | { tandem: 1; type: "layout"; phone: boolean }
  | { tandem: 1; type: "identify"; identity: Identity }
  | { tandem: 1; type: "attributes"; attributes: Record<string, string> };

export type FrameToHost =
  | { tandem: 1; type: "ready" }
  | { tandem: 1; type: "open"; open: boolean }
  | { tandem: 1; type: "unread"; count: number }
  | { tandem: 1; type: "message"; message: PublicMessage };

/** isMessage checks the envelope of a postMessage payload. */
export function isMessage(data: unknown): data is { tandem: 1; type: string } {
  return typeof data === "object" && data !== null && (data as { tandem?: unknown }).tandem === 1 && typeof (data as { type?: unknown }).type === "string";
}

/** cleanAttributes keeps string-valued attributes only, within the API's limits. */
export function cleanAttributes(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v !== "object" || v === null) return out;
  let n = 0;
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (n >= 50 || !k || k.length > 64) continue;
    if (typeof val !== "string" && typeof val !== "number" && typeof val !== "boolean") continue;
    out[k] = String(val).slice(0, 1024);
    n++;
  }
  return out;
}
