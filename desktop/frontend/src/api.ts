// Decoding of the API data Go hands over as protobuf JSON, into the types
// generated from the protos (api/ts). Unknown fields are ignored so that a
// newer server never breaks an older app.
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ContactSchema, ConversationSchema, EventSchema, MessageSchema } from "@api/conversation_pb.js";
import type { Contact, Conversation, ConversationSla, Event, Message } from "@api/conversation_pb.js";
import { GroupSchema, MemberSchema } from "@api/workspace_pb.js";
import type { Group, Member } from "@api/workspace_pb.js";
import { TagSchema } from "@api/tag_pb.js";
import type { Tag } from "@api/tag_pb.js";
import { CannedResponseSchema } from "@api/canned_pb.js";
import type { CannedResponse } from "@api/canned_pb.js";
import { AgentStatusSchema } from "@api/presence_pb.js";
import type { AgentStatus } from "@api/presence_pb.js";
import { GetOverviewResponseSchema } from "@api/stats_pb.js";
import type { GetOverviewResponse } from "@api/stats_pb.js";
import { BotSettingsSchema, ListKnowledgeGapsResponseSchema } from "@api/bot_pb.js";
import type { BotSettings, EscalationIntent, KnowledgeGap, ListKnowledgeGapsResponse } from "@api/bot_pb.js";
import { GetDocumentResponseSchema, KnowledgeDocumentSchema } from "@api/knowledge_pb.js";
import { EmailInboxSchema, EmailThreadSchema, ListEmailMessagesResponseSchema } from "@api/email_pb.js";
import type { EmailDelivery, EmailInbox, EmailMessage, EmailThread, ListEmailMessagesResponse } from "@api/email_pb.js";
import type { GetDocumentResponse, KnowledgeChunk, KnowledgeDocument } from "@api/knowledge_pb.js";
import { WebhookDeliverySchema } from "@api/automation_pb.js";
import type { WebhookDelivery } from "@api/automation_pb.js";

export type { AgentStatus, CannedResponse, Contact, Conversation, ConversationSla, EmailDelivery, EmailInbox, EmailMessage, EmailThread, Event, GetOverviewResponse, Group, Member, Message, Tag };
export type { BotSettings, EscalationIntent, GetDocumentResponse, KnowledgeChunk, KnowledgeDocument, KnowledgeGap, ListKnowledgeGapsResponse };
export type { WebhookDelivery };
export { WebhookDeliveryStatus } from "@api/automation_pb.js";
export { HandoffReason } from "@api/bot_pb.js";
export { ImapTlsMode, SmtpTlsMode } from "@api/email_pb.js";
export { DocumentFormat } from "@api/knowledge_pb.js";
export { AuthorKind, Channel, ConversationOutcome, ConversationState, MessageKind, Priority } from "@api/conversation_pb.js";
export { PresenceStatus } from "@api/presence_pb.js";
export { Role } from "@api/workspace_pb.js";

const opts = { ignoreUnknownFields: true };

export const decode = {
  conversation: (j: unknown): Conversation => fromJson(ConversationSchema, j as JsonValue, opts),
  message: (j: unknown): Message => fromJson(MessageSchema, j as JsonValue, opts),
  event: (j: unknown): Event => fromJson(EventSchema, j as JsonValue, opts),
  contact: (j: unknown): Contact => fromJson(ContactSchema, j as JsonValue, opts),
  member: (j: unknown): Member => fromJson(MemberSchema, j as JsonValue, opts),
  group: (j: unknown): Group => fromJson(GroupSchema, j as JsonValue, opts),
  tag: (j: unknown): Tag => fromJson(TagSchema, j as JsonValue, opts),
  canned: (j: unknown): CannedResponse => fromJson(CannedResponseSchema, j as JsonValue, opts),
  agent: (j: unknown): AgentStatus => fromJson(AgentStatusSchema, j as JsonValue, opts),
  overview: (j: unknown): GetOverviewResponse => fromJson(GetOverviewResponseSchema, j as JsonValue, opts),
  botSettings: (j: unknown): BotSettings => fromJson(BotSettingsSchema, j as JsonValue, opts),
  gaps: (j: unknown): ListKnowledgeGapsResponse => fromJson(ListKnowledgeGapsResponseSchema, j as JsonValue, opts),
  document: (j: unknown): KnowledgeDocument => fromJson(KnowledgeDocumentSchema, j as JsonValue, opts),
  documentFull: (j: unknown): GetDocumentResponse => fromJson(GetDocumentResponseSchema, j as JsonValue, opts),
  emailMessages: (j: unknown): ListEmailMessagesResponse => fromJson(ListEmailMessagesResponseSchema, j as JsonValue, opts),
  emailThread: (j: unknown): EmailThread => fromJson(EmailThreadSchema, j as JsonValue, opts),
  emailInbox: (j: unknown): EmailInbox => fromJson(EmailInboxSchema, j as JsonValue, opts),
  webhookDelivery: (j: unknown): WebhookDelivery => fromJson(WebhookDeliverySchema, j as JsonValue, opts),
};

/** ms turns a protobuf int64 (a bigint) into a number of milliseconds. */
export function ms(v: bigint): number {
  return Number(v);
}
