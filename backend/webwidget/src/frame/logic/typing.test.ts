import { describe, expect, test } from "vitest";
import { TypingSignal, type Timers } from "./typing";

/** fake is a clock whose timers run only when advanced. */
function fake() {
  let now = 0;
  let id = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    now: () => now,
    set: (fn, ms) => (due.set(++id, { at: now + ms, fn }), id),
    clear: (i) => void due.delete(i),
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [i, t] of [...due]) {
      if (t.at <= now) {
        due.delete(i);
        t.fn();
      }
    }
  };
  return { timers, advance };
}

describe("TypingSignal", () => {
  test("one typing event per 3 s while typing, stopped 4 s after the last key", () => {
    const { timers, advance } = fake();
    const sent: string[] = [];
    const t = new TypingSignal(() => ({ id: "c1", closed: false }), (id, typing) => sent.push(`${id}:${typing}`), timers);
    advance(5000);
    t.typed();
    advance(1000);
    t.typed();
    advance(1000);
    t.typed();
    expect(sent).toEqual(["c1:true"]);
    advance(1500);
    t.typed(); // 3.5 s after the first
    expect(sent).toEqual(["c1:true", "c1:true"]);
    advance(3999);
    expect(sent).toHaveLength(2);
    advance(1);
    expect(sent).toEqual(["c1:true", "c1:true", "c1:false"]);
  });

  test("sending stops at once; nothing is told without a conversation, or to a closed one", () => {
    const { timers, advance } = fake();
    const sent: string[] = [];
    let conv: { id: string; closed: boolean } | null = null;
    const t = new TypingSignal(() => conv, (id, typing) => sent.push(`${id}:${typing}`), timers);
    advance(5000);
    t.typed();
    t.stop();
    expect(sent).toEqual([]);
    conv = { id: "c1", closed: true };
    t.typed();
    expect(sent).toEqual([]);
    conv = { id: "c1", closed: false };
    t.typed();
    t.stop();
    t.stop();
    advance(10000);
    expect(sent).toEqual(["c1:true", "c1:false"]);
  });
});
