import { useEffect, useState } from "preact/hooks";
import { decode } from "../api";
import { go } from "../bridge";
import { change, formOf, intentLabel, limits, phraseProblem, problem, withIntent, withoutPhrase, withPhrase, type BotForm, type IntentForm } from "../logic/agent";
import { count } from "../logic/knowledge";
import { synonymLimits, synonymsProblem, synonymsRefusal } from "../logic/synonyms";
import { Problem } from "./Problem";

/**
 * AgentSettings edits the AI agent's settings, synonyms and escalation
 * intents. Save sends only what changed since they were loaded (or last
 * saved).
 */
export function AgentSettings() {
  const [base, setBase] = useState<BotForm | null>(null);
  const [form, setForm] = useState<BotForm | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  // The synonyms are checked once the admin leaves the field or tries to
  // save (not at every keystroke of a line still being typed); the
  // server's refusal of them shows there too, until they are edited.
  const [synonymsChecked, setSynonymsChecked] = useState(false);
  const [synonymsRefused, setSynonymsRefused] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    go("BotSettings").then(
      (raw) => {
        if (!live) return;
        const f = formOf(decode.botSettings(raw));
        setBase(f);
        setForm(f);
      },
      (e) => live && setError(e),
    );
    return () => void (live = false);
  }, []);
  if (!base || !form) return error ? <Problem error={error} /> : <p class="hint">Loading the AI agent's settings…</p>;

  const diff = change(base, form);
  const invalid = problem(form);
  const synonymsWrong = synonymsProblem(form.synonyms);
  const synonymsShown = synonymsRefused ?? (synonymsChecked ? synonymsWrong : null);
  const edit = (f: Partial<BotForm>) => {
    setForm({ ...form, ...f });
    setSaved(false);
  };
  const save = async () => {
    setSynonymsChecked(true);
    if (!diff || invalid || synonymsWrong) return;
    setSaving(true);
    setError(null);
    setSynonymsRefused(null);
    try {
      const f = formOf(decode.botSettings(await go("UpdateBotSettings", diff)));
      setBase(f);
      setForm(f);
      setSaved(true);
      setSynonymsChecked(false);
    } catch (e) {
      const refused = synonymsRefusal(e);
      if (refused) setSynonymsRefused(refused);
      else setError(e);
    } finally {
      setSaving(false);
    }
  };
  return (
    <form
      class="agent-settings"
      aria-label="AI agent settings"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label class="check">
        <input type="checkbox" checked={form.enabled} onChange={(e) => edit({ enabled: e.currentTarget.checked })} />
        The AI agent answers new conversations first
      </label>
      <label class="field">
        Name customers see
        <input value={form.name} maxLength={limits.name} onInput={(e) => edit({ name: e.currentTarget.value })} />
      </label>
      <label class="field">
        Confidence threshold <output>{Number.isFinite(form.threshold) ? form.threshold.toFixed(2) : "–"}</output>
        <input
          type="range"
          min={0}
          max={1}
          step={0.01}
          value={form.threshold}
          aria-describedby="threshold-hint"
          onInput={(e) => edit({ threshold: Number(e.currentTarget.value) })}
        />
      </label>
      <p class="hint" id="threshold-hint">
        Below it (0 to 1), the AI agent hands the conversation to the team instead of answering.
      </p>
      <label class="field">
        Handoff message
        <textarea
          rows={2}
          value={form.handoffMessage}
          maxLength={limits.handoffMessage}
          aria-describedby="handoff-hint"
          onInput={(e) => edit({ handoffMessage: e.currentTarget.value })}
        />
      </label>
      <p class="hint" id="handoff-hint">
        Said to the customer on handoff; {"{{wait}}"} becomes the expected wait.
      </p>
      <label class="check">
        <input type="checkbox" checked={form.answerWhileWaiting} onChange={(e) => edit({ answerWhileWaiting: e.currentTarget.checked })} />
        Answer what it can while the customer waits for a person
      </label>
      <label class="field">
        Synonyms
        <textarea
          class="synonyms"
          rows={4}
          value={form.synonyms}
          spellcheck={false}
          placeholder={"refund, money back, reimbursement\ndelivery, shipping"}
          aria-invalid={synonymsShown !== null}
          aria-describedby={synonymsShown ? "synonyms-hint synonyms-wrong" : "synonyms-hint"}
          onInput={(e) => {
            edit({ synonyms: e.currentTarget.value });
            setSynonymsRefused(null);
          }}
          onBlur={() => setSynonymsChecked(true)}
        />
      </label>
      <p class="hint" id="synonyms-hint">
        Words your customers and your documents use for the same thing, one group per line, separated by commas: with <q>refund, money back</q>,
        a question about getting money back finds the passage about refunds. They add to the common ones the AI agent already knows. At most{" "}
        {synonymLimits.groups} groups of {synonymLimits.entriesMin} to {synonymLimits.entriesMax} words or phrases, each at most {synonymLimits.entryChars}{" "}
        characters.
      </p>
      {synonymsShown && (
        <p class="error" id="synonyms-wrong" role="alert">
          {synonymsShown}
        </p>
      )}
      <fieldset class="intents">
        <legend>Escalation intents</legend>
        <p class="hint">A customer message that shows one of these goes to the team; the AI agent does not answer it.</p>
        {form.intents.length === 0 && <p class="hint">This server has no escalation intents to tune.</p>}
        {form.intents.map((i) => (
          <IntentEditor key={i.name} intent={i} onChange={(f) => (setForm(withIntent(form, i.name, f)), setSaved(false))} />
        ))}
      </fieldset>
      {error !== null && <Problem error={error} />}
      {invalid && <p class="error">{invalid}</p>}
      <div class="row end">
        {saved && !diff && <span role="status">Saved.</span>}
        <button
          type="button"
          disabled={!diff || saving}
          onClick={() => {
            setForm(base);
            setSynonymsChecked(false);
            setSynonymsRefused(null);
          }}
        >
          Undo changes
        </button>
        <button type="submit" class="primary" disabled={!diff || invalid !== null || synonymsShown !== null || saving}>
          {saving ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}

/** IntentEditor shows one escalation intent: its switch, built-in examples and the workspace's phrases. */
export function IntentEditor({ intent, onChange }: { intent: IntentForm; onChange: (f: (i: IntentForm) => IntentForm) => void }) {
  const [draft, setDraft] = useState("");
  const [wrong, setWrong] = useState<string | null>(null);
  const id = `intent-${intent.name}`;
  const add = () => {
    const p = phraseProblem(draft, intent);
    setWrong(p);
    if (p) return;
    const phrase = draft;
    onChange((i) => withPhrase(i, phrase));
    setDraft("");
  };
  return (
    <section class={intent.enabled ? "intent" : "intent off"} aria-labelledby={`${id}-name`}>
      <div class="row">
        <h4 id={`${id}-name`}>{intentLabel(intent.name)}</h4>
        <label class="check">
          <input type="checkbox" checked={intent.enabled} onChange={(e) => onChange((i) => ({ ...i, enabled: e.currentTarget.checked }))} />
          Hand off when a message shows it
        </label>
      </div>
      {intent.description && <p class="hint">{intent.description}</p>}
      {intent.examples.length > 0 && (
        <details>
          <summary>Built-in examples ({intent.examples.length})</summary>
          <ul class="examples" aria-label={`Built-in examples of ${intentLabel(intent.name)}`}>
            {intent.examples.map((x) => (
              <li key={x}>{x}</li>
            ))}
          </ul>
        </details>
      )}
      <p class="hint">
        Your phrases: {count(intent.phrases.length, "phrase")} of {limits.phrases}, matched as whole words, ignoring case and accents.
      </p>
      {intent.phrases.length > 0 && (
        <ul class="phrases" aria-label={`Your phrases for ${intentLabel(intent.name)}`}>
          {intent.phrases.map((p) => (
            <li key={p}>
              <span>{p}</span>
              <button type="button" aria-label={`Remove “${p}”`} onClick={() => onChange((i) => withoutPhrase(i, p))}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="row">
        <label class="field grow">
          Add a phrase
          <input
            value={draft}
            maxLength={limits.phraseMax + 20}
            aria-invalid={wrong !== null}
            aria-describedby={wrong ? `${id}-wrong` : undefined}
            onInput={(e) => {
              setDraft(e.currentTarget.value);
              setWrong(null);
            }}
            onKeyDown={(e) => {
              if (e.key !== "Enter") return;
              e.preventDefault();
              add();
            }}
          />
        </label>
        <button type="button" onClick={add}>
          Add
        </button>
      </div>
      {wrong && (
        <p class="error" id={`${id}-wrong`} role="alert">
          {wrong}
        </p>
      )}
    </section>
  );
}
