import { useEffect, useState } from "preact/hooks";
import { decode, ms, type ListKnowledgeGapsResponse } from "../api";
import { go } from "../bridge";
import { ago } from "../logic/format";
import { count, gapPeriods, gapReason, type GapPeriod } from "../logic/knowledge";
import { Problem } from "./Problem";

/**
 * KnowledgeGaps shows the questions the AI agent could not answer over the
 * last 7 or 30 days, grouped by similarity: the documents to write next.
 */
export function KnowledgeGaps() {
  const [days, setDays] = useState<GapPeriod>(7);
  const [res, setRes] = useState<ListKnowledgeGapsResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    setRes(null);
    setError(null);
    go("KnowledgeGaps", days).then(
      (raw) => live && setRes(decode.gaps(raw)),
      (e) => live && setError(e),
    );
    return () => void (live = false);
  }, [days]);
  const now = Date.now();
  return (
    <div class="gaps">
      <fieldset class="row">
        <legend>Period</legend>
        {gapPeriods.map((d) => (
          <label key={d} class="check">
            <input type="radio" name="gap-period" value={d} checked={days === d} onChange={() => setDays(d)} />
            Last {d} days
          </label>
        ))}
      </fieldset>
      {error !== null && <Problem error={error} />}
      {!res && error === null && <p class="hint">Loading the questions…</p>}
      {res && (
        <>
          <p role="status">
            {count(res.questionCount, "unanswered question")} in the last {days} days
            {res.gaps.length > 0 ? `, in ${count(res.gaps.length, "group")}.` : "."}
          </p>
          {res.gaps.length === 0 && <p class="empty">The AI agent answered everything it was asked, or handed it off for another reason.</p>}
          <ol class="gap-list" aria-label="Unanswered questions by group">
            {res.gaps.map((g, n) => (
              <li key={n} class="gap">
                <h4>{g.label}</h4>
                <p class="hint">
                  {count(g.count, "question")}
                  {g.terms.length > 0 && <> · shared words: {g.terms.join(", ")}</>}
                </p>
                {g.tags.length > 0 && (
                  <ul class="tags" aria-label="Tags">
                    {g.tags.map((t) => (
                      <li key={t} class="tag">
                        {t}
                      </li>
                    ))}
                  </ul>
                )}
                <ul class="questions" aria-label="Example questions">
                  {g.questions.map((q, i) => (
                    <li key={i}>
                      “{q.question}” <span class="hint">— {gapReason(q.reason)}, {ago(ms(q.createTimeMs), now)} ago</span>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
          {res.byTag.length > 0 && (
            <>
              <h4>By tag</h4>
              <ul class="by-tag">
                {res.byTag.map((t) => (
                  <li key={t.tag}>
                    <span class="tag">{t.tag}</span> {count(t.count, "question")}
                    {t.sampleQuestions.length > 0 && <span class="hint"> — “{t.sampleQuestions.join("”, “")}”</span>}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </div>
  );
}
