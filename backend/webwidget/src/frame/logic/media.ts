// Attachments that play in the chat (voice messages). The files route wants
// the visitor's bearer token, which an <audio src> cannot send, so each
// file is fetched once, as downloads are, and played from its blob: URL.
// The lengths of the customer's own clips are kept too: a MediaRecorder
// WebM does not say how long it is until it has been read to the end.

export class MediaFiles {
  private readonly urls = new Map<string, Promise<string>>();
  private readonly lengths = new Map<string, number>();

  constructor(
    /** fetch downloads a file and returns a blob: URL for it. */
    private readonly fetch: (id: string) => Promise<string>,
    private readonly revoke: (url: string) => void,
  ) {}

  /** url is the file's blob: URL, fetched once; a failed fetch is tried again next time. */
  url(id: string): Promise<string> {
    let p = this.urls.get(id);
    if (!p) {
      p = this.fetch(id);
      this.urls.set(id, p);
      p.catch(() => {
        if (this.urls.get(id) === p) this.urls.delete(id);
      });
    }
    return p;
  }

  /** noteLength keeps the length of a clip recorded here. */
  noteLength(id: string, ms: number): void {
    if (id && Number.isFinite(ms) && ms > 0) this.lengths.set(id, ms);
  }

  /** length is a clip's recorded length in ms, when it was recorded here. */
  length(id: string): number | undefined {
    return this.lengths.get(id);
  }

  /** clear forgets everything and frees the blob: URLs (another conversation). */
  clear(): void {
    for (const p of this.urls.values()) p.then(this.revoke, () => {});
    this.urls.clear();
    this.lengths.clear();
  }
}
