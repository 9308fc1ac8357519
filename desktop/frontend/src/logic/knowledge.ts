// The knowledge base as admins read it: documents, their passages (the
// flagged ones the AI agent never uses) and the questions it could not
// answer.
import { DocumentFormat, HandoffReason, type KnowledgeChunk, type KnowledgeDocument } from "../api";

/** count says "1 passage", "3 passages". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const formats: Record<DocumentFormat, string> = {
  [DocumentFormat.UNSPECIFIED]: "Unknown",
  [DocumentFormat.TEXT]: "Text",
  [DocumentFormat.MARKDOWN]: "Markdown",
  [DocumentFormat.HTML]: "HTML",
  [DocumentFormat.PDF]: "PDF",
};

/** formatLabel names a document's format. */
export function formatLabel(f: DocumentFormat): string {
  return formats[f] ?? "Unknown";
}

/** languageName names an ISO 639-1 code in English ("de" is German); "" when the server could not tell. */
export function languageName(code: string): string {
  if (!code) return "";
  try {
    const name = new Intl.DisplayNames(["en"], { type: "language" }).of(code);
    if (name && name !== code) return name;
  } catch {
    // not a language code Intl knows
  }
  return code.toUpperCase();
}

/** flagged reports whether the AI agent never uses a passage. */
export function flagged(c: KnowledgeChunk): boolean {
  return c.flagReason.trim() !== "";
}

/** flagNote says why the AI agent never uses a flagged passage. */
export function flagNote(c: KnowledgeChunk): string {
  const reason = c.flagReason.trim().replace(/[.\s]+$/, "");
  const first = reason.charAt(0).toUpperCase() + reason.slice(1);
  return `${first}. The AI agent never uses this passage.`;
}

/** shownChunks is a document's passages in order, or only its flagged ones. */
export function shownChunks(chunks: KnowledgeChunk[], flaggedOnly: boolean): KnowledgeChunk[] {
  const ordered = [...chunks].sort((a, b) => a.position - b.position);
  return flaggedOnly ? ordered.filter(flagged) : ordered;
}

/** passages says how many passages a document has and how many are flagged. */
export function passages(d: KnowledgeDocument): string {
  const all = count(d.chunkCount, "passage");
  return d.flaggedChunkCount > 0 ? `${all}, ${d.flaggedChunkCount} flagged` : all;
}

/** deleteWarning is what the admin confirms before a document goes. */
export function deleteWarning(d: KnowledgeDocument): string {
  return `The AI agent stops answering from its ${count(d.chunkCount, "passage")} at once. This cannot be undone.`;
}

/** gapReason says why the AI agent handed a question off. */
export function gapReason(r: HandoffReason): string {
  switch (r) {
    case HandoffReason.LOW_CONFIDENCE:
      return "not confident enough";
    case HandoffReason.BOT_ERROR:
      return "the model failed";
    case HandoffReason.AI_BUDGET:
      return "the AI token budget was spent";
    default:
      return "handed off";
  }
}

/** The periods a knowledge-gaps report covers. */
export const gapPeriods = [7, 30] as const;
export type GapPeriod = (typeof gapPeriods)[number];
