// Sending one outbox item (desktop/internal/outbox/deliver.go): a note
// with AddNote, a reply with SendMessage after uploading its files, each
// with its client id, which makes a retried send return what the server
// stored the first time.
import type { OutboxItem } from "../bridge";
import { appError } from "./errors";
import { upload } from "./files";
import type { Deliver } from "./outbox";
import type { Clients, Csrf } from "./transport";

/** Net is how a session reaches its server. */
export interface Net {
  origin: string;
  clients: Clients;
  csrf: Csrf;
}

/** sender returns the Deliver that sends items over net, reading kept files with blob. */
export function sender(net: Net, blob: (fileClientId: string) => Promise<Blob | undefined>): Deliver {
  return async (it: OutboxItem, signal: AbortSignal) => {
    if (it.kind === "note") {
      const res = await net.clients.conversations.addNote(
        { conversationId: it.conversation_id, clientId: it.client_id, body: it.body, mentionUserIds: it.mentions ?? [], whisper: it.whisper ?? false },
        { signal },
      );
      return res.note?.id ?? "";
    }
    const fileIds: string[] = [];
    for (const f of it.files ?? []) {
      const b = await blob(f.client_id);
      // The kept copy is gone: retrying cannot bring it back.
      if (!b) throw appError("invalid", `The attached file ${f.name} is no longer in this browser.`);
      const a = await upload(net.origin, net.csrf, it.conversation_id, f.client_id, f.name, b, signal);
      fileIds.push(a.id);
    }
    const res = await net.clients.conversations.sendMessage({ conversationId: it.conversation_id, clientId: it.client_id, body: it.body, fileIds }, { signal });
    return res.message?.id ?? "";
  };
}
