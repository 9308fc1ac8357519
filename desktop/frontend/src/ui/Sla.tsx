import type { Conversation } from "../api";
import { nextDue, slaState } from "../logic/sla";

/** Sla shows the nearest running SLA deadline, colored as it runs out. */
export function Sla({ c, now, long }: { c: Conversation; now: number; long?: boolean }) {
  const due = nextDue(c.sla);
  if (!due) return null;
  const s = slaState(due.atMs, now);
  return (
    <span class={`sla ${s.tone}`} title={`SLA ${due.target}`}>
      {long ? `${due.target}: ` : "SLA "}
      {s.label}
    </span>
  );
}
