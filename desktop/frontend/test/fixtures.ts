import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ConversationSchema, MessageSchema } from "@api/conversation_pb.js";
import { MemberSchema } from "@api/workspace_pb.js";
import { CannedResponseSchema } from "@api/canned_pb.js";

export const conv = (init: MessageInitShape<typeof ConversationSchema>) => create(ConversationSchema, init);
export const msg = (init: MessageInitShape<typeof MessageSchema>) => create(MessageSchema, init);
export const member = (init: MessageInitShape<typeof MemberSchema>) => create(MemberSchema, init);
export const canned = (init: MessageInitShape<typeof CannedResponseSchema>) => create(CannedResponseSchema, init);
