import { useState } from "preact/hooks";
import type { Attachment } from "@api/conversation_pb.js";
import { go } from "../bridge";
import { size } from "../logic/format";
import { act } from "../state";

/** Attachments lists a message's files: saved where the agent chooses, then opened on request. */
export function Attachments({ list }: { list: Attachment[] }) {
  return (
    <ul class="files" aria-label="Files">
      {list.map((a) => (
        <File key={a.id} a={a} />
      ))}
    </ul>
  );
}

function File({ a }: { a: Attachment }) {
  const [saved, setSaved] = useState("");
  return (
    <li>
      📎 {a.name} <span class="hint">{size(Number(a.sizeBytes))}</span>
      {saved ? (
        <>
          <span class="hint"> saved to {saved}</span>
          <button onClick={() => void act(() => go("OpenSaved", saved))}>Open</button>
        </>
      ) : (
        <button onClick={() => void act(() => go("SaveAttachment", a.id, a.name)).then((p) => p && setSaved(p))}>Save…</button>
      )}
    </li>
  );
}
