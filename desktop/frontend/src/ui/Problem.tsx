import { isAppError } from "../bridge";
import { plain } from "../logic/errors";

/**
 * Problem shows an error from Go where it happened, in plain words; a
 * refusal by role (the server's PermissionDenied) says so plainly, with
 * the server's own reason.
 */
export function Problem({ error }: { error: unknown }) {
  if (isAppError(error) && error.kind === "forbidden") {
    return (
      <div class="error problem" role="alert">
        <strong>Not allowed.</strong> {plain(error)} Only the workspace's admins and owners manage the AI agent and its knowledge.
      </div>
    );
  }
  return (
    <div class="error problem" role="alert">
      {plain(error)}
    </div>
  );
}
