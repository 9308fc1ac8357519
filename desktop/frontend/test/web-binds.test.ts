// The pure parts of the web host's methods: what the AI agent's settings
// send (as in internal/app/bot_test.go), email TLS modes, links, knowledge
// documents, voice clips and notification preferences.
import { create, equals } from "@bufbuild/protobuf";
import { UpdateBotSettingsRequestSchema } from "@api/bot_pb.js";
import { SmtpTlsMode } from "@api/email_pb.js";
import { DocumentFormat } from "@api/knowledge_pb.js";
import { NotificationType, NotificationPreferenceSchema } from "@api/notification_pb.js";
import { describe, expect, it } from "vitest";
import type { BotChange } from "../src/bridge";
import { botUpdate } from "../src/web/bind/bot";
import { mode } from "../src/web/bind/email";
import { documentFormat, documentProblem } from "../src/web/bind/knowledge";
import { prefsMap, webLink } from "../src/web/bind/presence";
import { audioExt, clipName, fromBase64 } from "../src/web/bind/voice";

const refused = (change: BotChange, words: string) => {
  try {
    botUpdate("w", change);
  } catch (e) {
    expect(e).toMatchObject({ kind: "invalid" });
    expect((e as { message: string }).message).toContain(words);
    return;
  }
  throw new Error(`not refused: ${JSON.stringify(change)}`);
};

describe("AI agent settings", () => {
  it("sends the fields changed and nothing else", () => {
    const req = botUpdate("w", {
      name: "  Aria ",
      confidence_threshold: 0.55,
      handoff_message: "A teammate will be with you in {{wait}}.",
      answer_while_waiting: true,
      synonyms: "parcel ,  package\n\nmoney back, refund , ",
      intents: [
        { name: "refund", enabled: false },
        { name: "human", phrases: [" speak to a manager ", "real person please"] },
        { name: "anger", phrases: [] },
        { name: "legal" },
      ],
    });
    const want = create(UpdateBotSettingsRequestSchema, {
      workspaceId: "w", name: "Aria", confidenceThreshold: 0.55, handoffMessage: "A teammate will be with you in {{wait}}.",
      answerWhileWaiting: true, synonyms: "parcel ,  package\n\nmoney back, refund , ",
      escalationIntents: [{ name: "refund", enabled: false }, { name: "human", phrases: ["speak to a manager", "real person please"] }, { name: "anger", clearPhrases: true }],
    });
    expect(equals(UpdateBotSettingsRequestSchema, create(UpdateBotSettingsRequestSchema, req!), want)).toBe(true);
    const one = create(UpdateBotSettingsRequestSchema, botUpdate("w", { intents: [{ name: "fraud", enabled: true }] })!);
    expect(equals(UpdateBotSettingsRequestSchema, one, create(UpdateBotSettingsRequestSchema, { workspaceId: "w", escalationIntents: [{ name: "fraud", enabled: true }] }))).toBe(true);
    const clear = create(UpdateBotSettingsRequestSchema, botUpdate("w", { synonyms: "" })!);
    expect(clear.synonyms).toBe("");
    expect(botUpdate("w", { intents: [{ name: "legal" }] })).toBeNull();
    expect(botUpdate("w", {})).toBeNull();
  });

  it("refuses before sending, in plain words", () => {
    const many = Array.from({ length: 51 }, (_, i) => `xxx${i}`);
    refused({ intents: [{ name: "human", phrases: ["ok", " x "] }] }, '"x"');
    refused({ intents: [{ name: "human", phrases: ["é".repeat(101)] }] }, "2 to 100 characters");
    refused({ intents: [{ name: "human", phrases: many }] }, "more than 50 phrases");
    refused({ confidence_threshold: 1.5 }, "between 0 and 1");
    refused({ confidence_threshold: NaN }, "between 0 and 1");
    refused({ name: "  " }, "name must be");
    refused({ handoff_message: "" }, "handoff message must be");
    refused({ intents: [{ name: "human", enabled: true }, { name: "human", enabled: false }] }, "twice");
    refused({ intents: [{ name: " " }] }, "no name");
    refused({ intents: Array.from({ length: 21 }, (_, i) => ({ name: `i${i}` })) }, "Too many");
  });
});

describe("the other methods' rules", () => {
  it("maps TLS modes: absent stays, unknown is refused", () => {
    const names = { starttls: SmtpTlsMode.STARTTLS, none: SmtpTlsMode.NONE };
    expect(mode(names, undefined)).toBeUndefined();
    expect(mode(names, null)).toBeUndefined();
    expect(mode(names, "none")).toBe(SmtpTlsMode.NONE);
    expect(mode(names, "ssl")).toBeNull();
    expect(mode(names, "toString")).toBeNull();
  });

  it("opens web links only", () => {
    expect(webLink("https://example.com/a?b=1")).toBe("https://example.com/a?b=1");
    expect(webLink("http://example.com")).toBe("http://example.com/");
    for (const bad of ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "mailto:a@b.c", "not a url", "https://"]) expect(webLink(bad), bad).toBeNull();
  });

  it("takes knowledge documents Go takes", () => {
    expect(documentFormat("Guide.MD")).toBe(DocumentFormat.MARKDOWN);
    expect(documentFormat("a.htm")).toBe(DocumentFormat.HTML);
    expect(documentFormat("a.pdf")).toBe(DocumentFormat.PDF);
    expect(documentFormat("a.docx")).toBe(DocumentFormat.UNSPECIFIED);
    expect(documentProblem("a.docx", 10)?.message).toBe("a.docx is not a text, Markdown, HTML or PDF file (.txt, .md, .html or .pdf).");
    expect(documentProblem("a.txt", 0)?.message).toBe("a.txt is empty.");
    expect(documentProblem("a.txt", (8 << 20) + 1)?.message).toContain("larger than 8 MB");
    expect(documentProblem("a.txt", 5)).toBeNull();
  });

  it("tells recorded clips by their first bytes", () => {
    expect(audioExt(new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 1]))).toBe(".webm");
    expect(audioExt(new TextEncoder().encode("OggS\0"))).toBe(".ogg");
    expect(audioExt(new TextEncoder().encode("\0\0\0 ftypM4A "))).toBe(".m4a");
    expect(audioExt(new TextEncoder().encode("<html>"))).toBe("");
    expect(clipName("../../voice-message.webm", ".webm")).toBe("voice-message.webm");
    expect(clipName("", ".ogg")).toBe("file.ogg");
    expect(clipName("note", ".m4a")).toBe("note.m4a");
    expect(fromBase64("T2dnUw==")).toEqual(new TextEncoder().encode("OggS"));
    expect(fromBase64("!!")).toBeNull();
  });

  it("names notification preferences by kind", () => {
    const ps = [create(NotificationPreferenceSchema, { type: NotificationType.HANDOFF, enabled: true }), create(NotificationPreferenceSchema, { type: NotificationType.SLA_BREACH })];
    expect(prefsMap(ps)).toEqual({ handoff: true, sla_breach: false });
  });
});
