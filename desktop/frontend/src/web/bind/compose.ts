// Writing (app/bind_compose.go): replies and notes go through the outbox;
// typing and saved replies straight to the server.
import { CannedResponseSchema } from "@api/canned_pb.js";
import type { Bound, OutboxItem } from "../../bridge";
import type { Core } from "../core";
import { appError } from "../errors";
import type { Attach } from "../outbox";
import { tooLong } from "../outboxitem";
import { wires } from "../wire";

type Methods = "Reply" | "Note" | "Retry" | "Discard" | "Typing" | "CannedResponses" | "RenderCanned";

const gone = () => appError("not_found", "That message is no longer in the outbox.");

export function composeBinds(c: Core): Pick<Bound, Methods> {
  const enqueue = async (conversationId: string, kind: "reply" | "note", body: string, mentions: string[] | null, whisper: boolean, attach: Attach[]): Promise<OutboxItem> => {
    const sess = c.sess;
    if (!sess) throw appError("signed_out", "Sign in first.");
    // Until the server said whose session this is, nothing is queued under a guess, except for the
    // person whose kept inbox shows (the app opened offline): their items wait for the server to
    // confirm it is them, and the outbox never sends them under another login.
    if (!sess.confirmed && !sess.ws?.stale) throw appError("offline", "Still connecting to the server. Try again in a moment.");
    if (body.trim() === "" && attach.length === 0) throw appError("invalid", "Write something first.");
    if (tooLong(body)) throw appError("invalid", "This message is too long. Split it in two.");
    const { ob } = await c.outbox().catch((e: unknown) => {
      throw appError("internal", "Your message could not be saved in this browser: " + (e instanceof Error ? e.message : String(e)));
    });
    return ob.enqueue({ identity: sess.id, workspace_id: sess.ws?.id ?? "", conversation_id: conversationId, kind, body, mentions, whisper }, attach);
  };
  return {
    /**
     * Reply queues a message to the customer, with files picked by
     * PickFiles (by their ids). It resolves once the message and its files
     * are stored in the browser ("queued"); it is sent at once when the
     * server is reachable, and in order with the others when it comes back.
     */
    async Reply(conversationId, body, fileIds) {
      const attach: Attach[] = [];
      for (const id of fileIds ?? []) {
        const p = c.picks.get(id);
        if (!p) throw appError("invalid", "Attach the file again: the app no longer has it.");
        attach.push({ name: p.name, blob: p.file });
      }
      const it = await enqueue(conversationId, "reply", body, null, false, attach);
      for (const id of fileIds ?? []) c.picks.delete(id);
      return it;
    },

    /** Note queues an internal note; mentions are user ids, a whisper goes to the conversation's owner. */
    async Note(conversationId, body, mentions, whisper) {
      return enqueue(conversationId, "note", body, mentions, whisper, []);
    },

    /** Retry sends a failed item again. */
    async Retry(clientId) {
      const id = c.identity();
      if (!id) throw gone();
      const { ob } = await c.outbox();
      return ob.retry(clientId, id);
    },

    /** Discard takes an unsent item out of the outbox and returns it, so that its text can be edited and sent again. */
    async Discard(clientId) {
      const id = c.identity();
      if (!id) throw gone();
      const { ob } = await c.outbox();
      return ob.discard(clientId, id);
    },

    /** Typing tells the customer and teammates whether the agent is typing. */
    async Typing(conversationId, typing) {
      const { sess } = c.current();
      await sess.net.clients.conversations.setTyping({ conversationId, typing });
    },

    /** CannedResponses finds saved replies by shortcut, title or body. */
    async CannedResponses(query) {
      const { sess, ws } = c.current();
      const res = await sess.net.clients.canned.listCannedResponses({ workspaceId: ws.id, query: query.trim(), pageSize: 50 });
      return wires(CannedResponseSchema, res.cannedResponses);
    },

    /** RenderCanned fills a saved reply's variables for a conversation. */
    async RenderCanned(cannedResponseId, conversationId) {
      const { sess } = c.current();
      const res = await sess.net.clients.canned.renderCannedResponse({ cannedResponseId, conversationId });
      return res.text;
    },
  };
}
