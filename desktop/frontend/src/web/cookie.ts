// The browser's session is an HttpOnly cookie the page never sees; beside
// it the server sets tandem_csrf, which the page reads and echoes in the
// Tandem-Csrf header of every request (backend/internal/access/cookie.go).

/** The readable cookie holding the session's CSRF token. */
export const csrfCookie = "tandem_csrf";

/** The header every RPC and files request carries the token in. */
export const csrfHeader = "Tandem-Csrf";

/** readCookie returns a cookie's value from a document.cookie string, "" when absent. */
export function readCookie(cookies: string, name: string): string {
  for (const part of cookies.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  }
  return "";
}

/** currentCsrf is the CSRF token the browser holds now ("" when signed out). */
export function currentCsrf(): string {
  return typeof document === "undefined" ? "" : readCookie(document.cookie, csrfCookie);
}
