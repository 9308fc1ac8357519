// Signing the browser in and out (backend/internal/account/web.go): the
// server answers a sign-in with the user and the CSRF token, and keeps the
// session token in an HttpOnly cookie that scripts never see.
import type { AppError } from "../bridge";
import { csrfHeader } from "./cookie";
import { appError, fromError, httpError } from "./errors";
import { sameOriginFetch } from "./transport";

/** Where the web app signs in (POST) and out (DELETE). */
export const sessionPath = "/app/session";

/** WebSession is the answer to a sign-in: never the token itself. */
export interface WebSession {
  csrf: string;
  expire_time_ms: number;
  user_id: string;
  email: string;
  display_name: string;
}

const timeoutMs = 20_000;

/** signIn exchanges an email and password for a session cookie. */
export async function signIn(origin: string, email: string, password: string): Promise<WebSession> {
  let res: Response;
  try {
    res = await sameOriginFetch(origin + sessionPath, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw fromError(e);
  }
  const body = await res.text().catch(() => "");
  if (!res.ok) throw httpError(res.status, body, res.headers);
  const s = parse(body);
  if (!s) throw appError("internal", "The server's answer to the sign-in was not understood.");
  return s;
}

/** parse reads a sign-in's answer, or null when it is not one. */
export function parse(body: string): WebSession | null {
  try {
    const j = JSON.parse(body) as Partial<WebSession> | null;
    if (!j || typeof j.csrf !== "string" || typeof j.user_id !== "string" || !j.csrf || !j.user_id) return null;
    return {
      csrf: j.csrf,
      expire_time_ms: Number(j.expire_time_ms ?? 0),
      user_id: j.user_id,
      email: typeof j.email === "string" ? j.email : "",
      display_name: typeof j.display_name === "string" ? j.display_name : "",
    };
  } catch {
    return null;
  }
}

/**
 * signOut revokes the cookie's session and clears both cookies; a browser
 * whose session is already gone gets its cookies cleared all the same. It
 * resolves to the error, if any: signing out locally goes on regardless.
 */
export async function signOut(origin: string, csrf: string, timeout = 3_000): Promise<AppError | null> {
  try {
    const res = await sameOriginFetch(origin + sessionPath, {
      method: "DELETE",
      headers: csrf ? { [csrfHeader]: csrf } : {},
      signal: AbortSignal.timeout(timeout),
    });
    if (!res.ok) return httpError(res.status, await res.text().catch(() => ""), res.headers);
    return null;
  } catch (e) {
    return fromError(e);
  }
}
