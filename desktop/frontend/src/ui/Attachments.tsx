import { useState } from "preact/hooks";
import type { Attachment } from "@api/conversation_pb.js";
import { go } from "../bridge";
import { size } from "../logic/format";
import { clock, isAudio } from "../logic/recorder";
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
  if (isAudio(a.contentType)) return <Voice a={a} />;
  return (
    <li>
      <PaperclipIcon /> {a.name} <span class="hint">{size(Number(a.sizeBytes))}</span>
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

/** Voice plays a voice message inline: fetched on the first press, then an ordinary player. */
function Voice({ a }: { a: Attachment }) {
  const [src, setSrc] = useState("");
  const [length, setLength] = useState("");
  const label = `Voice message${length ? `, ${length}` : ""}`;
  return (
    <li class="voice">
      {src ? (
        <audio
          controls
          autoplay
          preload="metadata"
          src={src}
          aria-label={label}
          onLoadedMetadata={(e) => {
            const d = e.currentTarget.duration;
            if (Number.isFinite(d)) setLength(clock(d * 1000));
          }}
        />
      ) : (
        <button aria-label={`Play ${label}`} onClick={() => void act(() => go("PlayAttachment", a.id)).then((u) => u && setSrc(u))}>
          ▶ Voice message
        </button>
      )}
      <span class="hint">
        {length} {size(Number(a.sizeBytes))}
      </span>
    </li>
  );
}

/** PaperclipIcon is the attachment mark, drawn inline (no icon font to go missing). */
export function PaperclipIcon() {
  return (
    <svg class="icon" width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <path d="M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48" />
    </svg>
  );
}
