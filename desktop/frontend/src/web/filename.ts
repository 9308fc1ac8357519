// File names from the outside world made safe, as the desktop's Go side
// does (internal/filename): the names of files the agent attaches go to the
// server, and the names customers gave attachments become names of files
// the browser saves.

/** The most bytes (UTF-8) a name keeps, well under every file system's limit. */
const maxBytes = 200;

const reserved = new Set(["CON", "PRN", "AUX", "NUL", ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`])]);

const bytes = (s: string) => new TextEncoder().encode(s).length;

/**
 * safe returns a name usable as one file in a folder on Linux, macOS and
 * Windows: path parts, control and bidirectional-override characters and
 * characters Windows forbids are replaced, leading dots, trailing dots and
 * spaces dropped, reserved device names prefixed, and the length bounded
 * (keeping the extension). An unusable name becomes "file".
 */
export function safe(name: string): string {
  name = name.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "_"); // lone surrogates
  const slash = Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\"));
  if (slash >= 0) name = name.slice(slash + 1);
  let mapped = "";
  for (const ch of name) {
    if (/\p{Cc}|\p{Bidi_Control}|[<>:"|?*]/u.test(ch)) mapped += "_";
    else if (/\p{White_Space}/u.test(ch)) mapped += " ";
    else mapped += ch;
  }
  name = mapped.trim().replace(/^\.+/, "").replace(/[. ]+$/, "");
  if (name === "") return "file";
  let [base, ext] = splitExt(name);
  if (reserved.has(base.toUpperCase())) base = "_" + base;
  if (bytes(base) + bytes(ext) > maxBytes) {
    if (bytes(ext) > 20) ext = "";
    base = truncate(base, maxBytes - bytes(ext));
  }
  return base + ext;
}

/** ext is Go's filepath.Ext: from the last dot of the name, "" without one. */
export function ext(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot);
}

function splitExt(name: string): [string, string] {
  const e = ext(name);
  if (e === name || e.includes(" ")) return [name, ""];
  return [name.slice(0, name.length - e.length), e];
}

function truncate(s: string, n: number): string {
  let out = "";
  let used = 0;
  for (const ch of s) {
    const b = bytes(ch);
    if (used + b > n) break;
    out += ch;
    used += b;
  }
  return out;
}

const runnableExts = new Set([
  ".exe", ".com", ".bat", ".cmd", ".msi", ".msp", ".scr", ".pif", ".cpl", ".ps1", ".psm1", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".wsh", ".hta",
  ".lnk", ".reg", ".jar", ".sh", ".bash", ".zsh", ".csh", ".run", ".bin", ".appimage", ".desktop", ".deb", ".rpm", ".app", ".command", ".pkg", ".dmg",
  ".py", ".pl", ".rb", ".scpt", ".url", ".library-ms", ".settingcontent-ms",
]);

/** runnable reports whether opening a file of this name may run a program. */
export function runnable(name: string): boolean {
  return runnableExts.has(ext(name.replace(/[. ]+$/, "")).toLowerCase());
}
