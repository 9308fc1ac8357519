import { useState } from "preact/hooks";
import { go } from "../bridge";
import { plain } from "../logic/errors";
import { busy, session } from "../state";

export function SignIn() {
  const s = session.value;
  const [server, setServer] = useState(s?.server || "http://127.0.0.1:8080");
  const [email, setEmail] = useState(s?.email ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    setError("");
    busy.value = true;
    try {
      session.value = await go("SignIn", server, email, password);
      setPassword("");
    } catch (err) {
      setError(plain(err));
    } finally {
      busy.value = false;
    }
  };
  return (
    <main class="signin">
      <form onSubmit={submit} aria-label="Sign in">
        <h1>Tandem</h1>
        <p class="hint">{s?.server_fixed ? `Sign in to ${s.server}.` : "Sign in to your team's Tandem server."}</p>
        {s?.notice && <p class="notice">{s.notice}</p>}
        {!s?.server_fixed && (
          <label>
            Server
            <input id="server" value={server} autoFocus onInput={(e) => setServer(e.currentTarget.value)} placeholder="https://tandem.example.com" spellcheck={false} />
          </label>
        )}
        <label>
          Email
          <input id="email" type="email" value={email} autoFocus={!!s?.server_fixed} onInput={(e) => setEmail(e.currentTarget.value)} autoComplete="username" />
        </label>
        <label>
          Password
          <input id="password" type="password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} autoComplete="current-password" />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy.value}>
          {busy.value ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
