// Errors in plain words. Go already words its errors for people
// (apiclient.Error); this adds what the agent can do next.
import { isAppError, type AppError } from "../bridge";

/** plain turns anything thrown into a sentence for the agent. */
export function plain(e: unknown): string {
  if (!isAppError(e)) return "Something went wrong. Try again.";
  const msg = e.message.trim() || fallback(e);
  return msg;
}

function fallback(e: AppError): string {
  switch (e.kind) {
    case "offline":
      return "Can't reach the Tandem server right now.";
    case "timeout":
      return "The server took too long to answer. Try again.";
    case "signed_out":
      return "Your session has ended. Sign in again.";
    case "forbidden":
      return "Your role in this workspace does not allow that.";
    case "not_found":
      return "It no longer exists, or you can no longer see it.";
    case "conflict":
      return "Someone changed this at the same time. Look again and retry.";
    case "invalid":
      return "That was not accepted. Check what you entered.";
    default:
      return "Something went wrong. Try again.";
  }
}

/** isTransient reports whether trying again later may work unchanged. */
export function isTransient(e: unknown): boolean {
  return isAppError(e) && (e.kind === "offline" || e.kind === "timeout");
}
