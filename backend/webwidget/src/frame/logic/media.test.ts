import { describe, expect, test } from "vitest";
import { MediaFiles } from "./media";

function rig() {
  const fetched: string[] = [];
  const revoked: string[] = [];
  let failNext = false;
  const media = new MediaFiles(async (id) => {
    fetched.push(id);
    if (failNext) {
      failNext = false;
      throw new Error("offline");
    }
    return `blob:${id}`;
  }, (url) => revoked.push(url));
  return { media, fetched, revoked, failOnce: () => (failNext = true) };
}

describe("playable files", () => {
  test("each file is fetched once, however often its row is drawn", async () => {
    const r = rig();
    const [a, b] = await Promise.all([r.media.url("f1"), r.media.url("f1")]);
    expect(a).toBe("blob:f1");
    expect(b).toBe("blob:f1");
    expect(await r.media.url("f1")).toBe("blob:f1");
    expect(r.fetched).toEqual(["f1"]);
  });

  test("a failed fetch is tried again the next time", async () => {
    const r = rig();
    r.failOnce();
    await expect(r.media.url("f1")).rejects.toThrow("offline");
    expect(await r.media.url("f1")).toBe("blob:f1");
    expect(r.fetched).toEqual(["f1", "f1"]);
  });

  test("recorded lengths are kept for their files; junk is not", () => {
    const r = rig();
    r.media.noteLength("f1", 7_400);
    r.media.noteLength("f2", 0);
    r.media.noteLength("f3", Number.POSITIVE_INFINITY);
    r.media.noteLength("", 1_000);
    expect(r.media.length("f1")).toBe(7_400);
    expect(r.media.length("f2")).toBeUndefined();
    expect(r.media.length("f3")).toBeUndefined();
  });

  test("clear frees the blob URLs and forgets the lengths", async () => {
    const r = rig();
    await r.media.url("f1");
    await r.media.url("f2");
    r.media.noteLength("f1", 1_000);
    r.media.clear();
    await Promise.resolve();
    expect(r.revoked.sort()).toEqual(["blob:f1", "blob:f2"]);
    expect(r.media.length("f1")).toBeUndefined();
    await r.media.url("f1");
    expect(r.fetched).toEqual(["f1", "f2", "f1"]);
  });
});
