import { describe, expect, test } from "vitest";
import { SeenMarker, lastSeq } from "./seen";

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("SeenMarker", () => {
  test("marks forward only, one call at a time, the newest seq after a busy call", async () => {
    const calls: Array<[string, number]> = [];
    let release: () => void = () => {};
    const marker = new SeenMarker((id, seq) => {
      calls.push([id, seq]);
      return new Promise<void>((r) => (release = r));
    });
    marker.note("c1", 3);
    marker.note("c1", 4); // while the first call is in flight
    marker.note("c1", 5);
    expect(calls).toEqual([["c1", 3]]);
    release();
    await tick();
    expect(calls).toEqual([["c1", 3], ["c1", 5]]);
    release();
    await tick();
    marker.note("c1", 5); // already marked
    marker.note("c1", 2); // behind
    expect(calls.length).toBe(2);
    marker.note("c2", 1); // another conversation
    expect(calls).toEqual([["c1", 3], ["c1", 5], ["c2", 1]]);
  });

  test("a failed call is dropped, and the same seq may be marked again", async () => {
    let fail = true;
    const calls: number[] = [];
    const marker = new SeenMarker(async (_id, seq) => {
      calls.push(seq);
      if (fail) throw new Error("offline");
    });
    marker.note("c", 7);
    await tick();
    fail = false;
    marker.note("c", 7);
    await tick();
    marker.note("c", 7);
    await tick();
    expect(calls).toEqual([7, 7]);
  });

  test("lastSeq ignores pending rows", () => {
    expect(lastSeq([{ seq: 4 }, { seq: 0 }, { seq: 9 }, { seq: 2 }])).toBe(9);
    expect(lastSeq([])).toBe(0);
  });
});
