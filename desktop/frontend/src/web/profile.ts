// What the browser remembers between visits (desktop/internal/profile):
// the last account, to show its name and its waiting outbox items while
// signed out, and the workspace each user last had open. Nothing secret:
// the session is the server's cookie.

/** Profile is the last account that signed in here. */
export interface Profile {
  email: string;
  user_id: string;
  user_name: string;
  signed_in: boolean;
}

const profileKey = "tandem.profile";
const workspaceKey = (userId: string) => `tandem.workspace.${userId}`;

const empty: Profile = { email: "", user_id: "", user_name: "", signed_in: false };

/** Profiles reads and writes the profile in localStorage (or nowhere, without it). */
export class Profiles {
  constructor(private readonly storage: Storage | null) {}

  load(): Profile {
    try {
      const raw = this.storage?.getItem(profileKey);
      if (!raw) return { ...empty };
      const p = JSON.parse(raw) as Partial<Profile>;
      return {
        email: typeof p.email === "string" ? p.email : "",
        user_id: typeof p.user_id === "string" ? p.user_id : "",
        user_name: typeof p.user_name === "string" ? p.user_name : "",
        signed_in: p.signed_in === true,
      };
    } catch {
      return { ...empty };
    }
  }

  update(change: Partial<Profile>): void {
    this.set(profileKey, JSON.stringify({ ...this.load(), ...change }));
  }

  /** workspace is the workspace the user last had open, "" when none. */
  workspace(userId: string): string {
    if (!userId) return "";
    try {
      return this.storage?.getItem(workspaceKey(userId)) ?? "";
    } catch {
      return "";
    }
  }

  setWorkspace(userId: string, workspaceId: string): void {
    if (userId) this.set(workspaceKey(userId), workspaceId);
  }

  private set(key: string, value: string): void {
    try {
      this.storage?.setItem(key, value);
    } catch {
      // full or forbidden: the app works without remembering
    }
  }
}
