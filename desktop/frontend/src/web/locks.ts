// Locks shared by the origin's tabs (the Web Locks API), so that two tabs
// never send the same outbox item at once. Where the API is missing (an
// insecure context, tests) the locks hold within this tab only.

/** Held is what trying a lock gives: the function's result, or nothing when the lock was taken. */
export type Held<T> = { held: true; value: T } | { held: false };

/** Locks are named, exclusive locks. */
export interface Locks {
  /** hold waits for the lock and runs fn holding it; it rejects when signal aborts first. */
  hold<T>(name: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T>;
  /** attempt runs fn holding the lock if it is free at once. */
  attempt<T>(name: string, fn: () => Promise<T>): Promise<Held<T>>;
}

/** webLocks are the browser's locks, shared by the origin's tabs. */
export function webLocks(lm: LockManager): Locks {
  // request resolves to what the callback's promise resolves to (the DOM
  // typings say Promise<Promise<T>>).
  return {
    hold: <T>(name: string, signal: AbortSignal, fn: () => Promise<T>) => lm.request(name, { signal }, () => fn()) as unknown as Promise<T>,
    attempt: <T>(name: string, fn: () => Promise<T>) =>
      lm.request(name, { ifAvailable: true }, async (lock): Promise<Held<T>> => (lock ? { held: true, value: await fn() } : { held: false })) as unknown as Promise<Held<T>>,
  };
}

/** tabLocks hold within one tab. */
export function tabLocks(): Locks {
  // Each name's holders and waiters form a chain of promises; the name is
  // free when its chain has settled.
  const tails = new Map<string, Promise<void>>();
  const hold = async <T>(name: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> => {
    const before = tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = before.then(() => mine);
    tails.set(name, tail);
    void tail.then(() => {
      if (tails.get(name) === tail) tails.delete(name);
    });
    try {
      await Promise.race([
        before,
        new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        }),
      ]);
      return await fn();
    } finally {
      release();
    }
  };
  return {
    hold,
    async attempt<T>(name: string, fn: () => Promise<T>): Promise<Held<T>> {
      if (tails.has(name)) return { held: false };
      return { held: true, value: await hold(name, new AbortController().signal, fn) };
    },
  };
}

/** locks are the best the page has. */
export function pageLocks(): Locks {
  return typeof navigator !== "undefined" && navigator.locks ? webLocks(navigator.locks) : tabLocks();
}
