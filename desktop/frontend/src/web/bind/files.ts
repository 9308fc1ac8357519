// Files (app/bind_files.go): picking files to attach, saving attachments,
// opening a saved one. The browser has no save dialog to answer and no
// folder to name: a saved file goes where the browser puts downloads, and
// the page refers to it by its name.
import type { Bound, PickedFile } from "../../bridge";
import type { Core } from "../core";
import { appError } from "../errors";
import { runnable, safe } from "../filename";
import { choose, download, saveAs, tooBig, view, viewableType } from "../files";
import { maxFileBytes } from "../outboxitem";

/** How many saved files OpenSaved can open (the newest). */
const maxKept = 20;

export function fileBinds(c: Core): Pick<Bound, "PickFiles" | "SaveAttachment" | "OpenSaved"> {
  return {
    /** PickFiles asks for files to attach to a reply (at most 10 MB each); Reply takes the ids it returns. */
    async PickFiles() {
      const files = await choose("", true);
      const big = files.find((f) => f.size > maxFileBytes);
      if (big) throw tooBig(big.name);
      return files.map((f): PickedFile => c.picks.add(f, f.name));
    },

    /** SaveAttachment downloads an attachment and hands it to the browser to save; it returns the file's name. */
    async SaveAttachment(attachmentId, name) {
      const { sess } = c.current();
      const blob = await download(sess.net.origin, sess.net.csrf, attachmentId);
      const saved = safe(name);
      saveAs(blob, saved);
      c.saved.delete(saved);
      c.saved.set(saved, blob);
      // Kept in memory only to open it again: the last few are enough.
      for (const old of c.saved.keys()) {
        if (c.saved.size <= maxKept) break;
        c.saved.delete(old);
      }
      return saved;
    },

    /**
     * OpenSaved opens a file SaveAttachment saved in a new tab, when the
     * browser shows its type as data (PDF, images, plain text, audio,
     * video): anything else could run as a page of this site, so it is
     * left in the downloads folder.
     */
    async OpenSaved(path) {
      const blob = c.saved.get(path);
      if (!blob) throw appError("not_found", "Only files saved from a conversation can be opened here.");
      if (runnable(path)) throw appError("forbidden", "This file could run a program, so the app does not open it. It is in your downloads folder.");
      const type = viewableType(blob.type);
      if (!type) throw appError("invalid", "The browser cannot show this kind of file. Open it from your downloads folder.");
      view(blob, type);
    },
  };
}
