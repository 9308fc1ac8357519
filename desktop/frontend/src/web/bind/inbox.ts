// The inbox's methods (app/bind_inbox.go): the live list, the directory,
// searches, and a conversation with its history.
import { ContactSchema, ConversationSchema, ConversationState, MessageSchema, type ConversationFilterSchema } from "@api/conversation_pb.js";
import { EmailThreadSchema, ListEmailMessagesResponseSchema } from "@api/email_pb.js";
import { GroupSchema, MemberSchema } from "@api/workspace_pb.js";
import { TagSchema } from "@api/tag_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Bound, ConversationView } from "../../bridge";
import type { Core } from "../core";
import { appError, fromError, temporary } from "../errors";
import type { Session } from "../session";
import { wire, wires } from "../wire";

/** allStates includes closed conversations, which lists leave out by default. */
const allStates = [ConversationState.BOT, ConversationState.PENDING, ConversationState.ACTIVE, ConversationState.SNOOZED, ConversationState.CLOSED];

type Methods = "Conversations" | "Directory" | "Search" | "Closed" | "Spam" | "Open" | "MarkRead" | "Older" | "Contact" | "EmailMessages" | "EmailThread" | "SetEmailThread";

export function inboxBinds(c: Core): Pick<Bound, Methods> {
  const list = async (filter: MessageInitShape<typeof ConversationFilterSchema>, pageSize: number) => {
    const { sess, ws } = c.current();
    const res = await sess.net.clients.conversations.listConversations({ workspaceId: ws.id, filter, pageSize });
    return wires(ConversationSchema, res.conversations);
  };
  const history = async (sess: Session, conversationId: string, pageToken: string): Promise<ConversationView> => {
    const res = await sess.net.clients.conversations.getConversation({ conversationId, pageSize: 100, pageToken });
    return { conversation: wire(ConversationSchema, res.conversation), history: wires(MessageSchema, [...res.history].reverse()), more: res.nextPageToken };
  };
  return {
    /** Conversations returns the live inbox, most recently active first. */
    async Conversations() {
      const { ws } = c.current();
      return wires(ConversationSchema, ws.inbox.list());
    },

    /** Directory returns the workspace's members, groups and tags, and the agent's groups. */
    async Directory() {
      const { sess, ws } = c.current();
      return {
        members: wires(MemberSchema, ws.members),
        groups: wires(GroupSchema, ws.groups),
        tags: wires(TagSchema, ws.tags),
        my_groups: ws.groups.filter((g) => g.memberUserIds.includes(sess.id.user_id)).map((g) => g.id),
      };
    },

    /** Search finds conversations, closed ones included, with a message containing the text. */
    async Search(text) {
      text = text.trim();
      if (text === "") return [];
      return list({ states: allStates, text }, 100);
    },

    /** Closed returns the most recently closed conversations. */
    async Closed() {
      return list({ states: [ConversationState.CLOSED] }, 100);
    },

    /** Spam lists the conversations held as spam, most recent first. */
    async Spam() {
      return list({ states: [ConversationState.SPAM] }, 100);
    },

    /** Open returns a conversation with its latest history and marks it read. */
    async Open(conversationId) {
      const { sess, ws } = c.current();
      let v: ConversationView;
      try {
        v = await history(sess, conversationId, "");
      } catch (err) {
        // Offline, a conversation opened before reads as it was then.
        const kept = temporary(fromError(err)) ? await c.seenView(conversationId) : null;
        if (kept) return kept;
        throw err;
      }
      c.keepView(conversationId, v);
      try {
        await sess.net.clients.conversations.markRead({ conversationId });
        ws.inbox.markRead(conversationId);
      } catch (e) {
        c.env.log("mark read", e);
      }
      return v;
    },

    /** MarkRead marks what the agent has seen of a conversation as read. */
    async MarkRead(conversationId) {
      const { sess, ws } = c.current();
      await sess.net.clients.conversations.markRead({ conversationId });
      ws.inbox.markRead(conversationId);
    },

    /** Older returns the page of history before the page token. */
    async Older(conversationId, pageToken) {
      const { sess } = c.current();
      if (pageToken === "") throw appError("invalid", "There is no older history.");
      return history(sess, conversationId, pageToken);
    },

    /** Contact returns a customer's profile and past conversations. */
    async Contact(contactId) {
      const { sess } = c.current();
      const res = await sess.net.clients.contacts.getContact({ contactId });
      return { contact: wire(ContactSchema, res.contact), conversations: wires(ConversationSchema, res.conversations) };
    },

    /** EmailMessages returns what an email conversation's mails carried and whether each reply was mailed. */
    async EmailMessages(conversationId) {
      const { sess } = c.current();
      return wire(ListEmailMessagesResponseSchema, await sess.net.clients.email.listEmailMessages({ conversationId }));
    },

    /** EmailThread returns where an email conversation's replies go. */
    async EmailThread(conversationId) {
      const { sess } = c.current();
      const res = await sess.net.clients.email.getEmailThread({ conversationId });
      return wire(EmailThreadSchema, res.emailThread);
    },

    /** SetEmailThread sets the CC and the subject of an email conversation's replies to come. */
    async SetEmailThread(conversationId, cc, subject) {
      const { sess } = c.current();
      const res = await sess.net.clients.email.updateEmailThread({ conversationId, cc, subject });
      return wire(EmailThreadSchema, res.emailThread);
    },
  };
}
