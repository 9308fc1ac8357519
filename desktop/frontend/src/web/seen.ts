// What the app last saw, kept in IndexedDB so that it opens offline with
// the inbox it showed last (the service worker keeps the page itself):
// each workspace's list with its directory, and the conversations opened
// lately with their history. It is the signed-in person's own data, on
// their device, read only while the browser holds their session cookie;
// signing out deletes it. The server stays the truth: once it answers,
// everything shown comes from it again.
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import { MembershipSchema, type Membership } from "@api/auth_pb.js";
import { ConversationSchema, type Conversation } from "@api/conversation_pb.js";
import { TagSchema, type Tag } from "@api/tag_pb.js";
import { GroupSchema, MemberSchema, type Group, type Member } from "@api/workspace_pb.js";
import type { ConversationView } from "../bridge";

/** A workspace as last seen: its list and directory, in protobuf binary. */
interface SeenInbox {
  /** user id, "/", workspace id */
  key: string;
  user_id: string;
  saved_at: number;
  membership: Uint8Array;
  memberships: Uint8Array[];
  members: Uint8Array[];
  groups: Uint8Array[];
  tags: Uint8Array[];
  conversations: Uint8Array[];
}

/** A conversation as last opened. */
interface SeenView {
  /** user id, "/", conversation id */
  key: string;
  user_id: string;
  saved_at: number;
  view: ConversationView;
}

interface Schema extends DBSchema {
  inboxes: { key: string; value: SeenInbox; indexes: { user: string } };
  views: { key: string; value: SeenView; indexes: { user: string; saved: [string, number] } };
}

/** What Seen keeps of a workspace. */
export interface InboxShot {
  membership: Membership;
  memberships: Membership[];
  members: Member[];
  groups: Group[];
  tags: Tag[];
  conversations: Conversation[];
  savedAt: number;
}

/** The database's name in the origin. */
export const seenName = "tandem-seen";

/** How many conversations of a list, and how many opened conversations, are kept per person. */
export const keptConversations = 500;
export const keptViews = 30;

/** Seen is the IndexedDB of what the app last saw. */
export class Seen {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  static async open(name = seenName): Promise<Seen> {
    const db = await openDB<Schema>(name, 1, {
      upgrade(db) {
        db.createObjectStore("inboxes", { keyPath: "key" }).createIndex("user", "user_id");
        const views = db.createObjectStore("views", { keyPath: "key" });
        views.createIndex("user", "user_id");
        views.createIndex("saved", ["user_id", "saved_at"]);
      },
    });
    return new Seen(db);
  }

  close(): void {
    this.db.close();
  }

  /** putInbox keeps a workspace's list (its most recently active part) and directory. */
  async putInbox(userId: string, shot: Omit<InboxShot, "savedAt">): Promise<void> {
    await this.db.put("inboxes", {
      key: `${userId}/${shot.membership.workspaceId}`,
      user_id: userId,
      saved_at: Date.now(),
      membership: toBinary(MembershipSchema, shot.membership),
      memberships: shot.memberships.map((m) => toBinary(MembershipSchema, m)),
      members: shot.members.map((m) => toBinary(MemberSchema, m)),
      groups: shot.groups.map((g) => toBinary(GroupSchema, g)),
      tags: shot.tags.map((t) => toBinary(TagSchema, t)),
      conversations: shot.conversations.slice(0, keptConversations).map((c) => toBinary(ConversationSchema, c)),
    });
  }

  /** inbox returns the workspace last seen by the person (the hinted one if kept), or null. */
  async inbox(userId: string, workspaceId: string): Promise<InboxShot | null> {
    if (!userId) return null;
    let got = workspaceId ? await this.db.get("inboxes", `${userId}/${workspaceId}`) : undefined;
    if (!got) {
      const all = await this.db.getAllFromIndex("inboxes", "user", userId);
      got = all.sort((a, b) => b.saved_at - a.saved_at)[0];
    }
    if (!got) return null;
    return {
      membership: fromBinary(MembershipSchema, got.membership),
      memberships: got.memberships.map((b) => fromBinary(MembershipSchema, b)),
      members: got.members.map((b) => fromBinary(MemberSchema, b)),
      groups: got.groups.map((b) => fromBinary(GroupSchema, b)),
      tags: got.tags.map((b) => fromBinary(TagSchema, b)),
      conversations: got.conversations.map((b) => fromBinary(ConversationSchema, b)),
      savedAt: got.saved_at,
    };
  }

  /** putView keeps an opened conversation, dropping the person's oldest beyond keptViews. */
  async putView(userId: string, conversationId: string, view: ConversationView): Promise<void> {
    const tx = this.db.transaction("views", "readwrite");
    await tx.store.put({ key: `${userId}/${conversationId}`, user_id: userId, saved_at: Date.now(), view });
    const range = IDBKeyRange.bound([userId, -Infinity], [userId, Infinity]);
    const n = await tx.store.index("saved").count(range);
    let extra = n - keptViews;
    for (let c = await tx.store.index("saved").openCursor(range); c && extra > 0; c = await c.continue(), extra--) {
      await c.delete();
    }
    await tx.done;
  }

  /** view returns a conversation as last opened, or null. */
  async view(userId: string, conversationId: string): Promise<ConversationView | null> {
    return (await this.db.get("views", `${userId}/${conversationId}`))?.view ?? null;
  }

  /** forget deletes everything kept for a person (signing out). */
  async forget(userId: string): Promise<void> {
    const tx = this.db.transaction(["inboxes", "views"], "readwrite");
    for (const store of ["inboxes", "views"] as const) {
      const keys = await tx.objectStore(store).index("user").getAllKeys(userId);
      for (const k of keys) await tx.objectStore(store).delete(k);
    }
    await tx.done;
  }
}
