// The AI agent's settings and knowledge gaps (app/bind_bot.go).
import { BotSettingsSchema, ListKnowledgeGapsResponseSchema, type EscalationIntentUpdateSchema, type UpdateBotSettingsRequestSchema } from "@api/bot_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Bound, BotChange, IntentChange } from "../../bridge";
import type { Core } from "../core";
import { appError } from "../errors";
import { wire } from "../wire";

// The limits of UpdateBotSettingsRequest (proto/tandem/v1/bot.proto),
// checked here too so that the admin reads them in plain words.
const maxBotName = 100;
const maxHandoffMessage = 1000;
const minPhrase = 2;
const maxPhrase = 100;
const maxPhrases = 50;
const maxIntentChanges = 20;

type Update = MessageInitShape<typeof UpdateBotSettingsRequestSchema>;
type IntentUpdate = MessageInitShape<typeof EscalationIntentUpdateSchema> & { name: string; phrases: string[] };

const runes = (s: string) => [...s].length;
/** quote quotes as Go's %q does for the names and phrases people type. */
const quote = (s: string) => JSON.stringify(s);
/** given is a field of the change, null (as Go reads JSON null) taken as absent. */
const given = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

/** botUpdate builds the request for a change: the fields it names and nothing else, or null when it names none. */
export function botUpdate(workspaceId: string, ch: BotChange): Update | null {
  const req: Update & { escalationIntents: IntentUpdate[] } = { workspaceId, escalationIntents: [] };
  let changed = false;
  if (given(ch.enabled)) [req.enabled, changed] = [ch.enabled, true];
  if (given(ch.answer_while_waiting)) [req.answerWhileWaiting, changed] = [ch.answer_while_waiting, true];
  if (given(ch.synonyms)) [req.synonyms, changed] = [ch.synonyms, true];
  if (given(ch.name)) {
    const name = ch.name.trim();
    const n = runes(name);
    if (n === 0 || n > maxBotName) throw appError("invalid", `The AI agent's name must be 1 to ${maxBotName} characters.`);
    [req.name, changed] = [name, true];
  }
  if (given(ch.confidence_threshold)) {
    const t = ch.confidence_threshold;
    if (!(t >= 0 && t <= 1)) throw appError("invalid", "The confidence threshold must be between 0 and 1."); // also refuses NaN
    [req.confidenceThreshold, changed] = [t, true];
  }
  if (given(ch.handoff_message)) {
    const msg = ch.handoff_message.trim();
    const n = runes(msg);
    if (n === 0 || n > maxHandoffMessage) throw appError("invalid", `The handoff message must be 1 to ${maxHandoffMessage} characters.`);
    [req.handoffMessage, changed] = [msg, true];
  }
  const intents = ch.intents ?? [];
  if (intents.length > maxIntentChanges) throw appError("invalid", "Too many escalation intents in one change.");
  const seen = new Set<string>();
  for (const ic of intents) {
    const u = intentUpdate(ic);
    if (seen.has(u.name)) throw appError("invalid", `The escalation intent ${quote(u.name)} is changed twice.`);
    seen.add(u.name);
    if (u.enabled === undefined && u.phrases.length === 0 && !u.clearPhrases) continue; // names an intent without changing it
    req.escalationIntents.push(u);
    changed = true;
  }
  return changed ? req : null;
}

/** intentUpdate turns one intent's change into its update: the phrases trimmed and checked, an empty list sent as clear_phrases. */
export function intentUpdate(ic: IntentChange): IntentUpdate {
  const name = (ic.name ?? "").trim();
  if (name === "") throw appError("invalid", "An escalation intent has no name.");
  const u: IntentUpdate = { name, phrases: [] };
  if (given(ic.enabled)) u.enabled = ic.enabled;
  if (!given(ic.phrases)) return u;
  if (ic.phrases.length === 0) {
    u.clearPhrases = true;
    return u;
  }
  if (ic.phrases.length > maxPhrases) throw appError("invalid", `The escalation intent ${quote(name)} has more than ${maxPhrases} phrases.`);
  for (let p of ic.phrases) {
    p = p.trim();
    const n = runes(p);
    if (n < minPhrase || n > maxPhrase) {
      throw appError("invalid", `The phrase ${quote(p)} of the escalation intent ${quote(name)} must be ${minPhrase} to ${maxPhrase} characters.`);
    }
    u.phrases.push(p);
  }
  return u;
}

export function botBinds(c: Core): Pick<Bound, "BotSettings" | "UpdateBotSettings" | "KnowledgeGaps"> {
  const settings = async () => {
    const { sess, ws } = c.current();
    const res = await sess.net.clients.bot.getBotSettings({ workspaceId: ws.id });
    return wire(BotSettingsSchema, res.settings);
  };
  return {
    /** BotSettings returns the AI agent's settings, escalation intents included. */
    BotSettings: settings,

    /** UpdateBotSettings saves only what an admin changed and returns the settings as they now stand. */
    async UpdateBotSettings(change) {
      const { sess, ws } = c.current();
      const req = botUpdate(ws.id, change);
      if (!req) return settings(); // nothing changed
      const res = await sess.net.clients.bot.updateBotSettings(req);
      return wire(BotSettingsSchema, res.settings);
    },

    /** KnowledgeGaps reports the questions the AI agent could not answer over the last 7 or 30 days. */
    async KnowledgeGaps(days) {
      if (days !== 7 && days !== 30) throw appError("invalid", "Choose the last 7 or 30 days.");
      const { sess, ws } = c.current();
      const startTimeMs = BigInt(Date.now() - days * 24 * 3600 * 1000);
      return wire(ListKnowledgeGapsResponseSchema, await sess.net.clients.bot.listKnowledgeGaps({ workspaceId: ws.id, startTimeMs }));
    },
  };
}
