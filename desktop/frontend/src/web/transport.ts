// The web host's way to the server: the generated Connect clients of every
// service the app uses, over fetch on the page's own origin with the
// session cookie, and the session's CSRF token in a header on every call
// (read from its cookie each time). Unary calls get the Go client's
// deadline; the Watch stream sets none (it watches its own idleness).
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AuthService } from "@api/auth_pb.js";
import { AutomationService } from "@api/automation_pb.js";
import { BotService } from "@api/bot_pb.js";
import { CannedResponseService } from "@api/canned_pb.js";
import { ContactService } from "@api/contact_pb.js";
import { ConversationService } from "@api/conversation_pb.js";
import { EmailService } from "@api/email_pb.js";
import { KnowledgeService } from "@api/knowledge_pb.js";
import { NotificationService } from "@api/notification_pb.js";
import { PresenceService } from "@api/presence_pb.js";
import { StatsService } from "@api/stats_pb.js";
import { TagService } from "@api/tag_pb.js";
import { WorkspaceService } from "@api/workspace_pb.js";
import { csrfHeader, currentCsrf } from "./cookie";

/** unaryTimeoutMs bounds every unary call that sets no other (apiclient.UnaryTimeout). */
export const unaryTimeoutMs = 20_000;

/** Clients are one server's service clients. */
export interface Clients {
  auth: Client<typeof AuthService>;
  workspaces: Client<typeof WorkspaceService>;
  conversations: Client<typeof ConversationService>;
  contacts: Client<typeof ContactService>;
  canned: Client<typeof CannedResponseService>;
  tags: Client<typeof TagService>;
  presence: Client<typeof PresenceService>;
  notifications: Client<typeof NotificationService>;
  stats: Client<typeof StatsService>;
  bot: Client<typeof BotService>;
  knowledge: Client<typeof KnowledgeService>;
  email: Client<typeof EmailService>;
  automation: Client<typeof AutomationService>;
}

/** Csrf returns the CSRF token to send, or throws when the browser no longer holds the session. */
export type Csrf = () => string;

/** The message of a request refused because the cookie changed under the session. */
export const otherTab = "You signed out, or signed in again, in another tab";

/**
 * sessionCsrf is the token of the session that began with expected: the
 * cookie is the browser's, shared by its tabs, so a sign-in or sign-out
 * in another tab changes it. A request is then refused here, as signed
 * out, rather than sent with someone else's session.
 */
export function sessionCsrf(expected: string, read: () => string = currentCsrf): Csrf {
  return () => {
    const now = read();
    if (now === "" || now !== expected) throw new ConnectError(otherTab, Code.Unauthenticated);
    return now;
  };
}

/** sameOriginFetch is fetch with the page's cookies, never another site's. */
export const sameOriginFetch: typeof fetch = (input, init) => globalThis.fetch(input, { ...init, credentials: "same-origin" });

/** createClients returns the service clients for the server at origin. */
export function createClients(origin: string, csrf: Csrf): Clients {
  const withCsrf: Interceptor = (next) => async (req) => {
    req.header.set(csrfHeader, csrf());
    return next(req);
  };
  const t = createConnectTransport({ baseUrl: origin, interceptors: [withCsrf], fetch: sameOriginFetch, defaultTimeoutMs: unaryTimeoutMs });
  return {
    auth: createClient(AuthService, t),
    workspaces: createClient(WorkspaceService, t),
    conversations: createClient(ConversationService, t),
    contacts: createClient(ContactService, t),
    canned: createClient(CannedResponseService, t),
    tags: createClient(TagService, t),
    presence: createClient(PresenceService, t),
    notifications: createClient(NotificationService, t),
    stats: createClient(StatsService, t),
    bot: createClient(BotService, t),
    knowledge: createClient(KnowledgeService, t),
    email: createClient(EmailService, t),
    automation: createClient(AutomationService, t),
  };
}
