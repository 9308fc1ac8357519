// A workspace's own synonyms as an admin types them: one group per line of
// comma-separated words or phrases that mean the same here ("refund, money
// back"). The rules are the server's (backend/internal/bot/settings.go,
// parseSynonyms; proto/tandem/v1/bot.proto, UpdateBotSettingsRequest.synonyms),
// repeated here so that the admin reads which line is wrong before anything
// is sent: lines are numbered as typed, blank ones counted, as the server does.
import { isAppError } from "../bridge";

export const synonymLimits = { groups: 100, entriesMin: 2, entriesMax: 20, entryChars: 50, textChars: 20_000 } as const;

/** What a synonyms text reads as: its groups, or the first thing wrong with it. */
export type ParsedSynonyms = { groups: string[][]; problem?: undefined } | { groups?: undefined; problem: string };

// Go's unicode.IsSpace, which the server's strings.Fields and TrimSpace use
// (JavaScript's \s differs on U+0085 and U+FEFF).
const space = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const chars = (s: string) => [...s].length;
const ordinal = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? "st" : n % 10 === 2 && n % 100 !== 12 ? "nd" : n % 10 === 3 && n % 100 !== 13 ? "rd" : "th"}`;

/**
 * parseSynonyms reads the groups, one per non-blank line, each entry with
 * its spaces collapsed and empty entries dropped, or says which line breaks
 * the limits.
 */
export function parseSynonyms(text: string): ParsedSynonyms {
  const l = synonymLimits;
  if (chars(text) > l.textChars) return { problem: `The synonyms must be at most ${l.textChars} characters in all.` };
  const groups: string[][] = [];
  const lines = text.split("\n");
  for (let n = 1; n <= lines.length; n++) {
    const line = lines[n - 1]!;
    if (line.split(space).join("") === "") continue;
    const group: string[] = [];
    for (const raw of line.split(",")) {
      const e = raw.split(space).filter(Boolean).join(" ");
      if (e === "") continue;
      if (chars(e) > l.entryChars) return { problem: `Line ${n}: “${e}” is longer than ${l.entryChars} characters.` };
      group.push(e);
    }
    if (group.length < l.entriesMin) return { problem: `Line ${n}: a group needs ${l.entriesMin} words or phrases or more, separated by commas.` };
    if (group.length > l.entriesMax) return { problem: `Line ${n}: a group holds at most ${l.entriesMax} words or phrases (this one has ${group.length}).` };
    groups.push(group);
    if (groups.length > l.groups) return { problem: `Line ${n}: at most ${l.groups} groups; this is the ${ordinal(groups.length)}.` };
  }
  return { groups };
}

/** synonymsProblem says what is wrong with a synonyms text, naming the line, or null. */
export function synonymsProblem(text: string): string | null {
  return parseSynonyms(text).problem ?? null;
}

/** tidySynonyms is the text as the server keeps it (one group a line, ", " between entries), or null when it is wrong. */
export function tidySynonyms(text: string): string | null {
  const p = parseSynonyms(text);
  return p.groups ? p.groups.map((g) => g.join(", ")).join("\n") : null;
}

/**
 * synonymsRefusal is the server's refusal of the synonyms (InvalidArgument
 * naming the field, "Synonyms: line 3: …") worded for next to the field
 * ("Line 3: …"), or null for any other error.
 */
export function synonymsRefusal(e: unknown): string | null {
  if (!isAppError(e) || e.kind !== "invalid") return null;
  const m = /^\s*synonyms\s*:\s*(.*)$/is.exec(e.message);
  if (!m) return null;
  const rest = m[1]!.trim();
  return rest ? rest.charAt(0).toUpperCase() + rest.slice(1) : "The synonyms were not accepted.";
}
