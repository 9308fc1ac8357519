// The session's methods (app/bind_session.go).
import type { Bound } from "../../bridge";
import type { Core } from "../core";
import { shape } from "../outboxitem";

export function sessionBinds(c: Core): Pick<Bound, "State" | "SignIn" | "SignOut" | "SwitchWorkspace" | "Outbox"> {
  return {
    /** State returns the session as it stands; the first call takes up the session the browser holds. */
    async State() {
      c.start();
      return c.sessionView();
    },

    /**
     * SignIn signs in and opens the account's last (or first) workspace.
     * The server is the one that served the page: the address typed is not used.
     */
    async SignIn(_server, email, password) {
      c.start();
      await c.signIn(email, password);
      return c.sessionView();
    },

    /** SignOut ends the session on the server and clears its cookies. Queued replies wait for the same person. */
    async SignOut() {
      await c.endSession("", true);
      c.emitSession();
      return c.sessionView();
    },

    /** SwitchWorkspace opens another of the account's workspaces. */
    async SwitchWorkspace(workspaceId) {
      await c.switchWorkspace(workspaceId);
      return c.sessionView();
    },

    /** Outbox returns the signed-in (or last) account's outbox items. */
    async Outbox() {
      const id = c.identity();
      if (!id) return [];
      try {
        const { ob } = await c.outbox();
        return (await ob.items(id)).map(shape);
      } catch (e) {
        c.env.log("read outbox", e);
        return [];
      }
    },
  };
}
