import { create } from "@bufbuild/protobuf";
import { ConversationState } from "@api/conversation_pb.js";
import { GetWidgetConfigResponseSchema, WidgetConversationSchema, WidgetCustomActionSchema } from "@api/widget_pb.js";
import { describe, expect, test } from "vitest";
import { accentColor, badgeText, chromeOf, helperOf, initials, launcherLabel, type ChromeInput } from "./chrome";
import { strings } from "./strings";

const config = (v: Parameters<typeof create<typeof GetWidgetConfigResponseSchema>>[1] = {}) => create(GetWidgetConfigResponseSchema, { agentsOnline: true, ...v });
const conv = (state: ConversationState, agentName = "") => create(WidgetConversationSchema, { id: "c1", state, agentName });
const track = create(WidgetCustomActionSchema, { id: "a1", label: "Track order" });
const human = create(WidgetCustomActionSchema, { id: "a2", label: "Call me", handsOff: true });
const input = (v: Partial<ChromeInput>): ChromeInput => ({ config: config(), conv: null, identity: null, savedName: "", actions: [], ...v });

describe("helperOf", () => {
  const bot = config({ botEnabled: true, botName: "Ada" });
  test.each([
    ["the agent who has the chat", bot, conv(ConversationState.ACTIVE, "Sam Lee"), { text: `Sam Lee · ${strings.helperAgent}`, avatar: "SL", kind: "agent" }],
    ["the team while queued", bot, conv(ConversationState.PENDING), { text: strings.waitingForTeam, avatar: "", kind: "team" }],
    ["the AI agent before the first message", bot, null, { text: strings.helperBot("Ada"), avatar: "A", kind: "bot" }],
    ["the AI agent while it has the chat", bot, conv(ConversationState.BOT), { text: strings.helperBot("Ada"), avatar: "A", kind: "bot" }],
    ["nobody for a closed chat", bot, conv(ConversationState.CLOSED), { text: "", avatar: "", kind: "" }],
    ["nobody without an AI agent", config(), null, { text: "", avatar: "", kind: "" }],
    ["nobody before the config", null, null, { text: "", avatar: "", kind: "" }],
  ] as const)("%s", (_, c, v, want) => {
    expect(helperOf(c, v)).toEqual(want);
  });
});

describe("chromeOf", () => {
  test("pre-chat fields before the first message only, and only what is not known", () => {
    const c = config({ settings: { askName: true, askEmail: true, chooseGroup: true }, groups: [{ id: "g1", name: "Sales" }] });
    expect(chromeOf(input({ config: c }))).toMatchObject({ askName: true, askEmail: true, askGroup: true, prechat: true, endButton: false });
    expect(chromeOf(input({ config: c, identity: { name: "Ann", email: "a@x.test" } }))).toMatchObject({ askName: false, askEmail: false, prechat: true });
    expect(chromeOf(input({ config: c, savedName: "Ann" })).askName).toBe(false);
    expect(chromeOf(input({ config: c, conv: conv(ConversationState.BOT) }))).toMatchObject({ prechat: false, endButton: true });
    expect(chromeOf(input({ config: null })).prechat).toBe(false);
    expect(chromeOf(input({ config: config({ settings: { chooseGroup: true } }) })).askGroup).toBe(false); // no groups
  });

  test("buttons: custom actions (hand-offs only while the AI agent has the chat), else Talk to a person", () => {
    const withBot = config({ botEnabled: true });
    const kinds = (v: Partial<ChromeInput>) => chromeOf(input(v)).buttons.map((b) => (b.kind === "action" ? b.action.id : b.kind));
    expect(kinds({ config: withBot, actions: [track, human] })).toEqual(["a1", "a2"]);
    expect(kinds({ config: withBot, actions: [track, human], conv: conv(ConversationState.BOT) })).toEqual(["a1", "a2"]);
    expect(kinds({ config: withBot, actions: [track, human], conv: conv(ConversationState.PENDING) })).toEqual(["a1"]);
    expect(kinds({ config: withBot })).toEqual(["talk"]);
    expect(kinds({ config: withBot, conv: conv(ConversationState.ACTIVE) })).toEqual([]);
    expect(kinds({ config: config() })).toEqual([]);
    expect(kinds({ config: withBot, actions: [track], conv: conv(ConversationState.CLOSED) })).toEqual([]);
    expect(kinds({ config: null, actions: [track] })).toEqual([]);
  });

  test("the offline note when nobody can answer a new chat; a closed chat has no composer", () => {
    expect(chromeOf(input({ config: config({ agentsOnline: false }) })).offline).toBe(strings.offlineDefault);
    expect(chromeOf(input({ config: config({ agentsOnline: false, offlineMessage: "Back at 9" }) })).offline).toBe("Back at 9");
    expect(chromeOf(input({ config: config({ agentsOnline: false, botEnabled: true }) })).offline).toBe("");
    expect(chromeOf(input({ config: config({ agentsOnline: false }), conv: conv(ConversationState.PENDING) })).offline).toBe("");
    expect(chromeOf(input({ config: config() })).offline).toBe("");
    expect(chromeOf(input({ conv: conv(ConversationState.CLOSED) }))).toMatchObject({ closed: true, composer: false, endButton: false });
    expect(chromeOf(input({ conv: conv(ConversationState.ACTIVE) }))).toMatchObject({ closed: false, composer: true, endButton: true });
  });

  test("a copy by email is offered for a chat where the workspace sends email, open or closed", () => {
    expect(chromeOf(input({ config: config({ emailTranscripts: true }), conv: conv(ConversationState.ACTIVE) })).transcript).toBe(true);
    expect(chromeOf(input({ config: config({ emailTranscripts: true }), conv: conv(ConversationState.CLOSED) })).transcript).toBe(true);
    expect(chromeOf(input({ config: config({ emailTranscripts: true }) })).transcript).toBe(false); // no chat yet
    expect(chromeOf(input({ config: config(), conv: conv(ConversationState.ACTIVE) })).transcript).toBe(false);
  });
});

describe("launcher and small helpers", () => {
  test("launcher label and badge", () => {
    expect(launcherLabel(false, 0)).toBe(strings.launcherOpen);
    expect(launcherLabel(true, 0)).toBe(strings.launcherClose);
    expect(launcherLabel(false, 2)).toBe(`${strings.launcherOpen}, ${strings.unread(2)}`);
    expect([0, 1, 9, 10, 99].map(badgeText)).toEqual(["0", "1", "9", "9+", "9+"]);
  });

  test("initials and accent colour", () => {
    expect(["Ann", "ann lee", "  Émile   de la Tour ", "", "李 小龙"].map(initials)).toEqual(["A", "AL", "ÉT", "?", "李小"]);
    expect(accentColor(config({ settings: { accentColor: "#12abEF" } }))).toBe("#12abEF");
    for (const bad of ["red", "#fff", "#12345g", "#123456; background: url(x)", ""]) expect(accentColor(config({ settings: { accentColor: bad } }))).toBe("");
    expect(accentColor(config())).toBe("");
  });
});
