// The visitor's session: signing in (StartSession), resuming the token and
// the conversation kept in this frame's localStorage (tandemd's origin,
// partitioned per store site by the browser) so they survive page loads,
// and the widget's config.

import { Code, ConnectError } from "@connectrpc/connect";
import type { GetWidgetConfigResponse, WidgetCustomAction } from "@api/widget_pb.js";
import type { Identity } from "../../protocol";
import type { WidgetClient } from "../api";
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

/** The part of the API the session uses: the token it sets and the calls it makes. */
export interface SessionApi {
  token: string;
  client: Pick<WidgetClient, "startSession" | "getWidgetConfig" | "listCustomActions" | "updateVisitor">;
}

/** What the session tells the chat. */
export interface SessionHooks {
  /** personChanged: this browser now speaks for someone else; forget the chat on screen. */
  personChanged(): void;
  /** loaded runs once the session and config are there (show them, restore the conversation). */
  loaded(): Promise<void>;
  /** failed reports why getting ready failed (a later call tries again). */
  failed(err: unknown): void;
}

/**
 * Session is the visitor's sign-in: it resumes the saved token, starts a
 * new session when there is none or the store names a different shopper,
 * starts over once when the token has expired, and loads the widget's
 * config and custom actions. It also keeps what the store told about the
 * visitor (identity, attributes, page) for the calls that carry them.
 */
export class Session {
  identity: Identity | null = null;
  attributes: Record<string, string> = {};
  pageUrl = "";
  config: GetWidgetConfigResponse | null = null;
  actions: WidgetCustomAction[] = [];
  private ready: Promise<void> | null = null;

  constructor(
    private readonly api: SessionApi,
    readonly saved: Saved,
    private readonly publicKey: string,
    private readonly hooks: SessionHooks,
    private readonly timeZone: () => string = localTimeZone,
  ) {}

  /** prepare makes sure there is a session and the config, then runs hooks.loaded; concurrent calls share one. */
  prepare(): Promise<void> {
    if (!this.ready) {
      this.ready = (async () => {
        await this.ensure();
        await this.loadConfig();
        await this.hooks.loaded();
      })().catch((err) => {
        this.ready = null;
        this.hooks.failed(err);
        throw err;
      });
    }
    return this.ready;
  }

  private async ensure(): Promise<void> {
    const fp = fingerprint(this.identity);
    // An anonymous page keeps whatever session this browser has; a store
    // that names a different shopper gets a new one.
    if (this.saved.token && (fp === "" || this.saved.identity === fp)) {
      this.api.token = this.saved.token;
      return;
    }
    const res = await this.api.client.startSession({
      publicKey: this.publicKey,
      name: this.identity?.name ?? "",
      email: this.identity?.email ?? "",
      attributes: { ...this.attributes, ...(this.identity?.attributes ?? {}) },
      identityJson: this.identity?.identityJson ?? "",
      identitySignature: this.identity?.signature ?? "",
      // For the agents' profile of the visitor: their local time and the page.
      timeZone: this.timeZone(),
      pageUrl: this.page(),
    });
    const changedPerson = this.saved.token !== "";
    this.saved.token = res.token;
    this.saved.identity = fp;
    this.api.token = res.token;
    if (this.identity?.name) this.saved.customerName = this.identity.name;
    if (changedPerson) this.hooks.personChanged();
  }

  private async loadConfig(): Promise<void> {
    try {
      this.config = await this.api.client.getWidgetConfig({});
    } catch (err) {
      if (ConnectError.from(err).code !== Code.Unauthenticated) throw err;
      this.saved.token = ""; // expired: start over
      await this.ensure();
      this.config = await this.api.client.getWidgetConfig({});
    }
    try {
      this.actions = (await this.api.client.listCustomActions({})).actions;
    } catch {
      this.actions = [];
    }
  }

  /** identify takes the store's word for who the visitor is; a different person gets a new session. */
  identify(identity: Identity): void {
    this.identity = identity;
    if (this.saved.token && this.saved.identity !== fingerprint(identity)) {
      this.ready = null;
      void this.prepare();
    }
  }

  /**
   * setAttributes keeps attributes for the next session and conversation,
   * and tells them to this one at once: rules (a cart over $200) see the
   * values as they change.
   */
  setAttributes(attrs: Record<string, string>): void {
    this.attributes = { ...this.attributes, ...attrs };
    if (this.api.token) {
      this.api.client.updateVisitor({ attributes: attrs }).catch(() => {
        // Best effort: the next session or conversation carries them.
      });
    }
  }

  /** expired forgets the saved token (the server refused it). */
  expired(): void {
    this.saved.token = "";
  }

  /** customFields are the attributes a new conversation carries (at most 20). */
  customFields(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.attributes).slice(0, 20)) out[k] = v;
    return out;
  }

  /** page is the page's address within the API's limit. */
  page(): string {
    return this.pageUrl.slice(0, 2048);
  }
}

/** localTimeZone is the browser's IANA time zone, or "" when it will not say. */
export function localTimeZone(): string {
  try {
    return (Intl.DateTimeFormat().resolvedOptions().timeZone ?? "").slice(0, 64);
  } catch {
    return "";
  }
}
