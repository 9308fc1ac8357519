import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ConversationSchema, MessageSchema } from "@api/conversation_pb.js";
import { MemberSchema } from "@api/workspace_pb.js";
import { CannedResponseSchema } from "@api/canned_pb.js";

export const conv = (init: MessageInitShape<typeof ConversationSchema>) => create(ConversationSchema, init);
export const msg = (init: MessageInitShape<typeof MessageSchema>) => create(MessageSchema, init);
export const member = (init: MessageInitShape<typeof MemberSchema>) => create(MemberSchema, init);
export const canned = (init: MessageInitShape<typeof CannedResponseSchema>) => create(CannedResponseSchema, init);
import { BotSettingsSchema, EscalationIntentSchema, ListKnowledgeGapsResponseSchema } from "@api/bot_pb.js";
import { GetDocumentResponseSchema, KnowledgeChunkSchema, KnowledgeDocumentSchema } from "@api/knowledge_pb.js";

export const intent = (init: MessageInitShape<typeof EscalationIntentSchema>) => create(EscalationIntentSchema, init);
export const bot = (init: MessageInitShape<typeof BotSettingsSchema>) => create(BotSettingsSchema, init);
export const doc = (init: MessageInitShape<typeof KnowledgeDocumentSchema>) => create(KnowledgeDocumentSchema, init);
export const chunk = (init: MessageInitShape<typeof KnowledgeChunkSchema>) => create(KnowledgeChunkSchema, init);
export const docFull = (init: MessageInitShape<typeof GetDocumentResponseSchema>) => create(GetDocumentResponseSchema, init);
export const gaps = (init: MessageInitShape<typeof ListKnowledgeGapsResponseSchema>) => create(ListKnowledgeGapsResponseSchema, init);

/** A workspace's AI agent with two escalation intents, as the server would send it. */
export function demoBot() {
  return bot({
    workspaceId: "w1",
    enabled: true,
    name: "Ava",
    confidenceThreshold: 0.4,
    handoffMessage: "A teammate will answer in {{wait}}.",
    answerWhileWaiting: true,
    synonyms: "voucher, gift card",
    escalationIntents: [
      intent({ name: "human", description: "The customer asks for a person", enabled: true, examples: ["talk to a human", "mit einem Menschen sprechen"], phrases: ["real person"] }),
      intent({ name: "refund", description: "The customer demands their money back", enabled: true, examples: ["I want a refund"], phrases: [] }),
    ],
  });
}
