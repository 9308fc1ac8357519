// One signed-in browser session (desktop/internal/app/core.go's session):
// the account, its CSRF token, its clients, its memberships and open
// workspace, and the connection state shown in the header. Everything it
// runs in the background ends with its controller.
import type { Membership } from "@api/auth_pb.js";
import { RoleSchema, type Role } from "@api/workspace_pb.js";
import type { SessionView, WorkspaceView } from "../bridge";
import { Wake } from "./backoff";
import type { Identity } from "./outboxitem";
import type { Net } from "./sender";
import type { Conn } from "./watch";
import type { Workspace } from "./workspace";

/** Session is one signed-in account on this server. */
export class Session {
  /** Who the session is. Until confirmed, a guess from the profile. */
  id: Identity;
  email: string;
  name: string;
  /** confirmed is set once the server said whose session the cookie holds. */
  confirmed = false;
  memberships: Membership[] = [];
  ws: Workspace | null = null;
  conn: Conn = "connecting";
  connMsg = "";
  readonly ctl = new AbortController();
  /** wake cuts the connect loop's wait short (the network is back). */
  readonly wake = new Wake();

  constructor(
    id: Identity,
    email: string,
    name: string,
    /** The CSRF token of the session's cookie, when the session began. */
    readonly csrf: string,
    readonly net: Net,
  ) {
    this.id = id;
    this.email = email;
    this.name = name;
  }

  get signal(): AbortSignal {
    return this.ctl.signal;
  }
}

/** roleName names a role as the views do: agent, supervisor, admin or owner. */
export function roleName(r: Role): string {
  const name = RoleSchema.value[r]?.name ?? String(r);
  return name.replace(/^ROLE_/, "").toLowerCase();
}

/**
 * view is a session as the views show it (app.sessionView). The page is
 * served by its server, so the server is fixed and there is no token
 * storage to name.
 */
export function view(sess: Session | null, server: string, notice: string, last: { email: string }): SessionView {
  if (!sess) {
    return {
      signed_in: false, server, email: last.email, user_id: "", user_name: "", ready: false, workspaces: null,
      workspace_id: "", role: "", connection: "offline", connection_message: "", notice, token_storage: "", server_fixed: true,
    };
  }
  const workspaces: WorkspaceView[] = sess.memberships.map((m) => ({ id: m.workspaceId, name: m.workspaceName, role: roleName(m.role) }));
  const ws = sess.ws;
  return {
    signed_in: true, server: sess.id.server, email: sess.email, user_id: sess.id.user_id, user_name: sess.name,
    ready: ws !== null, workspaces: workspaces.length ? workspaces : null, workspace_id: ws?.id ?? "", role: ws ? roleName(ws.role) : "",
    connection: sess.conn, connection_message: sess.connMsg, notice: "", token_storage: "", server_fixed: true,
  };
}
