// The visitor's session: the token and the conversation, kept in this
// frame's localStorage (tandemd's origin, partitioned per store site by the
// browser) so they survive page loads.

import type { Identity } from "../../protocol";
import type { KV } from "./outbox";

/** Saved is what one workspace's widget remembers. */
export class Saved {
  constructor(
    private readonly kv: KV,
    private readonly prefix: string,
  ) {}

  private get(name: string): string {
    try {
      return this.kv.getItem(`${this.prefix}:${name}`) ?? "";
    } catch {
      return "";
    }
  }

  private set(name: string, v: string): void {
    try {
      if (v) this.kv.setItem(`${this.prefix}:${name}`, v);
      else this.kv.removeItem(`${this.prefix}:${name}`);
    } catch {
      // Storage may be off (private mode): the session lasts this page.
    }
  }

  get token(): string {
    return this.get("token");
  }
  set token(v: string) {
    this.set("token", v);
  }
  /** The identity the token was made for (see fingerprint). */
  get identity(): string {
    return this.get("identity");
  }
  set identity(v: string) {
    this.set("identity", v);
  }
  get conversation(): string {
    return this.get("conversation");
  }
  set conversation(v: string) {
    this.set("conversation", v);
  }
  get customerName(): string {
    return this.get("name");
  }
  set customerName(v: string) {
    this.set("name", v);
  }
}

/** fingerprint identifies who a session is for, so a different shopper gets a new one. */
export function fingerprint(id: Identity | null): string {
  if (!id || (!id.identityJson && !id.email && !id.name)) return "";
  return JSON.stringify([id.identityJson ?? "", id.signature ?? "", id.email ?? "", id.name ?? ""]);
}
