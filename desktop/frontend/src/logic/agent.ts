// The AI agent's settings as an admin edits them: the form, what changed
// (only that is sent: see app.UpdateBotSettings), and the limits of the
// API (proto/tandem/v1/bot.proto) said in plain words before saving.
import type { BotSettings } from "../api";
import type { BotChange, IntentChange } from "../bridge";
import { tidySynonyms } from "./synonyms";

/** Who may see and tune the AI agent: the server refuses the others anyway. */
export function canManageAgent(role: string): boolean {
  return role === "admin" || role === "owner";
}

export interface IntentForm {
  name: string;
  description: string;
  enabled: boolean;
  /** Built in, read-only. */
  examples: string[];
  /** The workspace's own, editable. */
  phrases: string[];
}

export interface BotForm {
  enabled: boolean;
  name: string;
  threshold: number;
  handoffMessage: string;
  answerWhileWaiting: boolean;
  /** The workspace's own synonym groups, one per line (see logic/synonyms.ts). */
  synonyms: string;
  intents: IntentForm[];
}

export const limits = { name: 100, handoffMessage: 1000, phraseMin: 2, phraseMax: 100, phrases: 50 } as const;

/** formOf is the form for the settings as the server has them. */
export function formOf(s: BotSettings): BotForm {
  return {
    enabled: s.enabled,
    name: s.name,
    threshold: s.confidenceThreshold,
    handoffMessage: s.handoffMessage,
    answerWhileWaiting: s.answerWhileWaiting,
    synonyms: s.synonyms,
    intents: s.escalationIntents.map((i) => ({
      name: i.name,
      description: i.description,
      enabled: i.enabled,
      examples: [...i.examples],
      phrases: [...i.phrases],
    })),
  };
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * change is what the form changes from the settings it was loaded from:
 * only those fields, and only the intents that changed (an intent's
 * phrases whole, [] when all were removed); null when nothing did. The
 * synonyms count as changed when they read differently once tidied as the
 * server tidies them, and go as typed, so that a refusal's line number is
 * the one the admin sees.
 */
export function change(base: BotForm, form: BotForm): BotChange | null {
  const out: BotChange = {};
  if (form.enabled !== base.enabled) out.enabled = form.enabled;
  if (form.name.trim() !== base.name) out.name = form.name.trim();
  if (form.threshold !== base.threshold) out.confidence_threshold = form.threshold;
  if (form.handoffMessage.trim() !== base.handoffMessage) out.handoff_message = form.handoffMessage.trim();
  if (form.answerWhileWaiting !== base.answerWhileWaiting) out.answer_while_waiting = form.answerWhileWaiting;
  if ((tidySynonyms(form.synonyms) ?? form.synonyms) !== base.synonyms) out.synonyms = form.synonyms;
  const intents: IntentChange[] = [];
  for (const i of form.intents) {
    const was = base.intents.find((b) => b.name === i.name);
    if (!was) continue; // the server names the intents; the form never adds one
    const c: IntentChange = { name: i.name };
    if (i.enabled !== was.enabled) c.enabled = i.enabled;
    if (!sameList(i.phrases, was.phrases)) c.phrases = [...i.phrases];
    if (c.enabled !== undefined || c.phrases !== undefined) intents.push(c);
  }
  if (intents.length > 0) out.intents = intents;
  return Object.keys(out).length > 0 ? out : null;
}

const chars = (s: string) => [...s].length;

/** problem says what keeps the form's plain fields from being saved, or null (the synonyms: synonymsProblem). */
export function problem(form: BotForm): string | null {
  const name = chars(form.name.trim());
  if (name === 0 || name > limits.name) return `The name must be 1 to ${limits.name} characters.`;
  if (!(form.threshold >= 0 && form.threshold <= 1)) return "The confidence threshold must be between 0 and 1.";
  const msg = chars(form.handoffMessage.trim());
  if (msg === 0 || msg > limits.handoffMessage) return `The handoff message must be 1 to ${limits.handoffMessage} characters.`;
  return null;
}

/** phraseProblem says why a phrase cannot be added to an intent, or null. */
export function phraseProblem(phrase: string, intent: IntentForm): string | null {
  const p = phrase.trim();
  const n = chars(p);
  if (n < limits.phraseMin || n > limits.phraseMax) return `A phrase must be ${limits.phraseMin} to ${limits.phraseMax} characters.`;
  const key = p.toLocaleLowerCase();
  if (intent.phrases.some((x) => x.toLocaleLowerCase() === key)) return `“${p}” is already there.`;
  if (intent.examples.some((x) => x.toLocaleLowerCase() === key)) return `“${p}” is already a built-in example.`;
  if (intent.phrases.length >= limits.phrases) return `An intent holds at most ${limits.phrases} phrases.`;
  return null;
}

/** withIntent returns the form with one intent changed. */
export function withIntent(form: BotForm, name: string, f: (i: IntentForm) => IntentForm): BotForm {
  return { ...form, intents: form.intents.map((i) => (i.name === name ? f(i) : i)) };
}

/** withPhrase is the intent with a phrase (trimmed) added at the end of its list. */
export function withPhrase(i: IntentForm, phrase: string): IntentForm {
  return { ...i, phrases: [...i.phrases, phrase.trim()] };
}

/** withoutPhrase is the intent without one of its phrases. */
export function withoutPhrase(i: IntentForm, phrase: string): IntentForm {
  return { ...i, phrases: i.phrases.filter((p) => p !== phrase) };
}

const intentLabels: Record<string, string> = {
  human: "Asks for a person",
  refund: "Refund demand",
  chargeback: "Chargeback",
  fraud: "Fraud",
  legal: "Legal threat",
  cancellation: "Cancellation",
  anger: "Anger",
};

/** intentLabel names an intent for people; a newer server's unknown one by its name. */
export function intentLabel(name: string): string {
  return intentLabels[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
}
