// The conversation controls (app/bind_controls.go): each returns the
// changed conversation, folded into the live inbox.
import { ConversationSchema, PrioritySchema, type Conversation } from "@api/conversation_pb.js";
import type { JsonValue } from "@bufbuild/protobuf";
import type { Bound } from "../../bridge";
import type { Core } from "../core";
import { appError } from "../errors";
import type { Clients } from "../transport";
import { wire } from "../wire";

type Methods = "Claim" | "TakeOver" | "Transfer" | "Join" | "Leave" | "Tag" | "Untag" | "SetPriority" | "Snooze" | "Close" | "Reopen" | "MarkSpam" | "Release";

export function controlBinds(c: Core): Pick<Bound, Methods> {
  /** change runs a control, folds its conversation into the inbox and returns it. */
  const change = async (run: (cl: Clients["conversations"]) => Promise<{ conversation?: Conversation }>): Promise<JsonValue> => {
    const { sess, ws } = c.current();
    const res = await run(sess.net.clients.conversations);
    return res.conversation ? wire(ConversationSchema, ws.inbox.upsert(res.conversation, false)) : wire(ConversationSchema, undefined);
  };
  return {
    /** Claim makes the agent the owner of an unowned conversation. */
    Claim: (conversationId) => change((cl) => cl.claimConversation({ conversationId })),
    /** TakeOver makes the agent the owner: from the AI agent or the queue, or (supervisors) from a teammate. */
    TakeOver: (conversationId) => change((cl) => cl.takeOverConversation({ conversationId })),
    /** Transfer hands the conversation to a member or to a group's queue, with an optional note. */
    async Transfer(conversationId, userId, groupId, note) {
      let to: { case: "userId"; value: string } | { case: "groupId"; value: string };
      if (userId !== "" && groupId === "") to = { case: "userId", value: userId };
      else if (groupId !== "" && userId === "") to = { case: "groupId", value: groupId };
      else throw appError("invalid", "Choose one teammate or one group to transfer to.");
      return change((cl) => cl.transferConversation({ conversationId, note: note.trim(), to }));
    },
    /** Join adds the agent (a supervisor or above) as a participant. */
    Join: (conversationId) => change((cl) => cl.joinConversation({ conversationId })),
    /** Leave removes the agent from the participants. */
    Leave: (conversationId) => change((cl) => cl.leaveConversation({ conversationId })),
    /** Tag puts a tag on the conversation. */
    Tag: (conversationId, tagId) => change((cl) => cl.tagConversation({ conversationId, tagId })),
    /** Untag takes a tag off the conversation. */
    Untag: (conversationId, tagId) => change((cl) => cl.untagConversation({ conversationId, tagId })),
    /** SetPriority sets the priority (the tandem.v1.Priority number). */
    async SetPriority(conversationId, priority) {
      if (priority === 0 || !PrioritySchema.values.some((v) => v.number === priority)) throw appError("invalid", "Choose a priority.");
      return change((cl) => cl.setPriority({ conversationId, priority }));
    },
    /** Snooze hides the conversation until a time (unix milliseconds). */
    Snooze: (conversationId, untilMs) => change((cl) => cl.snoozeConversation({ conversationId, untilTimeMs: BigInt(Math.trunc(untilMs)) })),
    /** Close ends the conversation. */
    Close: (conversationId) => change((cl) => cl.closeConversation({ conversationId })),
    /** Reopen brings a closed conversation back to the queue. */
    Reopen: (conversationId) => change((cl) => cl.reopenConversation({ conversationId })),
    /** MarkSpam holds the conversation as spam: out of every view but Spam, unowned. */
    MarkSpam: (conversationId) => change((cl) => cl.markSpam({ conversationId })),
    /** Release lets a conversation held as spam into the queue, as a new one. */
    Release: (conversationId) => change((cl) => cl.releaseConversation({ conversationId })),
  };
}
