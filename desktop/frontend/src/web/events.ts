// The host's events to the views (session, inbox:event, inbox:reset,
// outbox, open). They are delivered after the current task, in order, as
// the desktop's events cross from Go: a listener never runs in the middle
// of the host's own change.

type Listener = (data: unknown) => void;

/** Emitter keeps the views' listeners by event name. */
export class Emitter {
  private readonly subs = new Map<string, Set<Listener>>();

  /** on subscribes to an event and returns the unsubscribe function. */
  on(name: string, cb: Listener): () => void {
    let set = this.subs.get(name);
    if (!set) this.subs.set(name, (set = new Set()));
    set.add(cb);
    return () => void set.delete(cb);
  }

  /** emit sends data to the event's listeners. */
  emit(name: string, data: unknown): void {
    queueMicrotask(() => {
      for (const cb of [...(this.subs.get(name) ?? [])]) {
        try {
          cb(data);
        } catch (e) {
          console.error(`tandem: a listener of ${name} failed`, e);
        }
      }
    });
  }
}
