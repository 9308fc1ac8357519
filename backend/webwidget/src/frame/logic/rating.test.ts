import { create } from "@bufbuild/protobuf";
import { WidgetConversationSchema } from "@api/widget_pb.js";
import { describe, expect, test } from "vitest";
import { csatShow, Rating, scores } from "./rating";

describe("csatShow", () => {
  test.each([
    ["open chat", false, "c1", null, false, "none"],
    ["open chat after a rating shown", false, "c1", "c1", true, "none"],
    ["closed, not rated", true, "c1", null, false, "ask"],
    ["closed, rated", true, "c1", null, true, "closed"],
    ["closed, already showing this chat (perhaps the thanks)", true, "c1", "c1", false, "keep"],
    ["closed, showing another chat", true, "c2", "c1", true, "closed"],
  ] as const)("%s", (_, closed, conv, shownFor, rated, want) => {
    expect(csatShow(closed, conv, shownFor, rated)).toBe(want);
  });
});

describe("Rating", () => {
  test("sends the score and comment, then counts as rated; a new chat is not", async () => {
    const sent: unknown[] = [];
    const conv = create(WidgetConversationSchema, { id: "c1", csatRating: 4 });
    const r = new Rating({
      rateConversation: (async (req: unknown) => {
        sent.push(req);
        return { conversation: conv };
      }) as never,
    });
    expect(r.rated).toBe(false);
    expect(await r.rate("c1", 4, "quick")).toBe(conv);
    expect(sent).toEqual([{ conversationId: "c1", rating: 4, comment: "quick" }]);
    expect(r.rated).toBe(true);
    r.reset();
    expect(r.rated).toBe(false);
    r.seen(create(WidgetConversationSchema, { id: "c2" }));
    expect(r.rated).toBe(false);
    r.seen(conv);
    expect(r.rated).toBe(true);
  });

  test("a refused rating leaves it unrated", async () => {
    const r = new Rating({ rateConversation: (async () => Promise.reject(new Error("no"))) as never });
    await expect(r.rate("c1", 5, "")).rejects.toThrow("no");
    expect(r.rated).toBe(false);
  });

  test("scores run 1 to 5", () => {
    expect([...scores]).toEqual([1, 2, 3, 4, 5]);
  });
});
