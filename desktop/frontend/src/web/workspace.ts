// The open workspace of a session (desktop/internal/app/workspace.go): its
// directory, its live inbox and the stream that keeps it live.
import type { Conversation } from "@api/conversation_pb.js";
import type { Tag } from "@api/tag_pb.js";
import type { Membership } from "@api/auth_pb.js";
import type { Group, Member, Role } from "@api/workspace_pb.js";
import { Inbox } from "./inbox";
import type { InboxShot } from "./seen";
import type { Clients } from "./transport";
import type { Watcher } from "./watch";

/** maxSnapshot bounds how many open conversations the inbox loads at once. */
export const maxSnapshot = 2000;

const pageSize = 200;

/** Workspace is a workspace the session has open. */
export class Workspace {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly inbox: Inbox;
  readonly membership: Membership;
  /** stale is set on a workspace shown as last seen, while the server cannot be reached: nothing in it is live. */
  stale = false;
  members: Member[] = [];
  groups: Group[] = [];
  tags: Tag[] = [];
  cursor = "";

  /** The stream's controller, its watcher and its end (set by the core). */
  ctl: AbortController | null = null;
  watcher: Watcher | null = null;
  done: Promise<void> = Promise.resolve();

  private constructor(m: Membership, me: string) {
    this.membership = m;
    this.id = m.workspaceId;
    this.name = m.workspaceName;
    this.role = m.role;
    this.inbox = new Inbox(me);
  }

  /** open loads what the inbox needs: members, groups, tags and the open conversations with the cursor they reflect. */
  static async open(clients: Clients, m: Membership, me: string, signal: AbortSignal): Promise<Workspace> {
    const ws = new Workspace(m, me);
    await ws.loadDirectory(clients, signal);
    ws.cursor = await ws.loadSnapshot(clients, signal);
    return ws;
  }

  /** seen rebuilds a workspace as last seen, to show until the server answers. */
  static seen(shot: InboxShot, me: string): Workspace {
    const ws = new Workspace(shot.membership, me);
    ws.members = shot.members;
    ws.groups = shot.groups;
    ws.tags = shot.tags;
    ws.inbox.reset(shot.conversations);
    ws.stale = true;
    return ws;
  }

  async loadDirectory(cl: Clients, signal: AbortSignal): Promise<void> {
    const members: Member[] = [];
    for (let pageToken = ""; ; ) {
      const res = await cl.workspaces.listMembers({ workspaceId: this.id, pageSize, pageToken }, { signal });
      members.push(...res.members);
      if (!(pageToken = res.nextPageToken)) break;
    }
    const groups: Group[] = [];
    for (let pageToken = ""; ; ) {
      const res = await cl.workspaces.listGroups({ workspaceId: this.id, pageSize, pageToken }, { signal });
      groups.push(...res.groups);
      if (!(pageToken = res.nextPageToken)) break;
    }
    const tags = await cl.tags.listTags({ workspaceId: this.id }, { signal });
    this.members = members;
    this.groups = groups;
    this.tags = tags.tags;
  }

  /**
   * loadSnapshot lists the open conversations into the inbox and returns
   * the cursor the list reflects (the first page's: later pages are older,
   * and the stream from that cursor brings every change since).
   */
  async loadSnapshot(cl: Clients, signal: AbortSignal): Promise<string> {
    const all: Conversation[] = [];
    let cursor = "";
    for (let pageToken = ""; all.length < maxSnapshot; ) {
      const res = await cl.conversations.listConversations({ workspaceId: this.id, pageSize, pageToken }, { signal });
      if (cursor === "") cursor = res.cursor;
      all.push(...res.conversations);
      if (!(pageToken = res.nextPageToken)) break;
    }
    this.inbox.reset(all);
    return cursor;
  }

  /** stop ends the workspace's stream and waits for it. */
  async stop(): Promise<void> {
    this.ctl?.abort();
    await this.done;
  }
}
