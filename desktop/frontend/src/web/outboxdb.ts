// The outbox's storage: IndexedDB, shared by the origin's tabs. Items are
// kept by client id with an index by account (server and user id), files
// (the Blobs of a reply's attachments) by their own client id. Writes that
// the app acknowledges (enqueue) commit with strict durability, the
// browser's fsync; every change that reads before it writes (order, state)
// runs in one readwrite transaction, which IndexedDB serializes across tabs.
import { openDB, type DBSchema, type IDBPDatabase, type IDBPObjectStore } from "idb";
import type { OutboxItem } from "../bridge";
import { inOrder, retried, type Identity } from "./outboxitem";

/** A file of a reply, kept until the reply is delivered or discarded. */
export interface KeptFile {
  client_id: string;
  /** The client id of its item. */
  item_id: string;
  blob: Blob;
}

interface Schema extends DBSchema {
  items: { key: string; value: OutboxItem; indexes: { account: [string, string]; order: number } };
  files: { key: string; value: KeptFile; indexes: { item: string } };
}

/** The database's name in the origin. */
export const dbName = "tandem-outbox";

/** OutboxDB is the outbox's IndexedDB. */
export class OutboxDB {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  /** open opens (creating if needed) the database. */
  static async open(name = dbName): Promise<OutboxDB> {
    const db = await openDB<Schema>(name, 1, {
      upgrade(db) {
        const items = db.createObjectStore("items", { keyPath: "client_id" });
        items.createIndex("account", ["server", "user_id"]);
        items.createIndex("order", "order");
        db.createObjectStore("files", { keyPath: "client_id" }).createIndex("item", "item_id");
      },
    });
    return new OutboxDB(db);
  }

  close(): void {
    this.db.close();
  }

  /**
   * add stores a new item, numbered after every item so far, with its
   * files, and resolves once they are committed.
   */
  async add(make: (order: number) => OutboxItem, files: KeptFile[]): Promise<OutboxItem> {
    const tx = this.db.transaction(["items", "files"], "readwrite", { durability: "strict" });
    const last = await tx.objectStore("items").index("order").openCursor(null, "prev");
    const it = make((last?.value.order ?? 0) + 1);
    await tx.objectStore("items").add(it);
    for (const f of files) await tx.objectStore("files").add({ ...f, item_id: it.client_id });
    await tx.done;
    return it;
  }

  get(clientId: string): Promise<OutboxItem | undefined> {
    return this.db.get("items", clientId);
  }

  /** list returns an identity's items in compose order. */
  async list(id: Identity): Promise<OutboxItem[]> {
    return inOrder(await this.db.getAllFromIndex("items", "account", [id.server, id.user_id]));
  }

  /**
   * update replaces an item that is still stored (a discarded one stays
   * gone) and, for a delivered one, drops its files: they are on the
   * server now. It resolves to whether the item was stored.
   */
  async update(it: OutboxItem): Promise<boolean> {
    const tx = this.db.transaction(["items", "files"], "readwrite", { durability: "strict" });
    const had = await tx.objectStore("items").get(it.client_id);
    if (!had) {
      await tx.done;
      return false;
    }
    await tx.objectStore("items").put(it);
    if (it.state === "delivered") await dropFiles(tx.objectStore("files"), it.client_id);
    await tx.done;
    return true;
  }

  /** retry queues a failed item again after every item so far, and returns it as it now stands. */
  async retry(clientId: string, now: number, mine: (it: OutboxItem) => boolean): Promise<OutboxItem | undefined> {
    const tx = this.db.transaction("items", "readwrite", { durability: "strict" });
    const it = await tx.store.get(clientId);
    if (!it || !mine(it)) {
      await tx.done;
      return undefined;
    }
    let out = it;
    if (it.state === "failed") {
      const last = await tx.store.index("order").openCursor(null, "prev");
      out = retried(it, (last?.value.order ?? 0) + 1, now);
      await tx.store.put(out);
    }
    await tx.done;
    return out;
  }

  /** remove deletes an item and its files, and returns what it held. */
  async remove(clientId: string, check: (it: OutboxItem | undefined) => boolean): Promise<OutboxItem | undefined> {
    const tx = this.db.transaction(["items", "files"], "readwrite", { durability: "strict" });
    const it = await tx.objectStore("items").get(clientId);
    if (!it || !check(it)) {
      await tx.done;
      return undefined;
    }
    await tx.objectStore("items").delete(clientId);
    await dropFiles(tx.objectStore("files"), clientId);
    await tx.done;
    return it;
  }

  /** blob returns a kept file's content. */
  async blob(fileClientId: string): Promise<Blob | undefined> {
    return (await this.db.get("files", fileClientId))?.blob;
  }

  /**
   * sweep removes what no waiting item needs: items delivered before a
   * time (their messages are on the server) and files without a waiting
   * item (left by a tab that closed between the two writes).
   */
  async sweep(deliveredBefore: number): Promise<void> {
    const tx = this.db.transaction(["items", "files"], "readwrite");
    const items = tx.objectStore("items");
    const waiting = new Set<string>();
    for (let c = await items.openCursor(); c; c = await c.continue()) {
      if (c.value.state !== "delivered") waiting.add(c.value.client_id);
      else if (c.value.update_time_ms < deliveredBefore) await c.delete();
    }
    const files = tx.objectStore("files");
    for (let c = await files.openCursor(); c; c = await c.continue()) {
      if (!waiting.has(c.value.item_id)) await c.delete();
    }
    await tx.done;
  }
}

type FileStore = IDBPObjectStore<Schema, ("items" | "files")[], "files", "readwrite">;

async function dropFiles(files: FileStore, itemId: string): Promise<void> {
  for (const key of await files.index("item").getAllKeys(itemId)) await files.delete(key);
}
