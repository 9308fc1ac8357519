// Test helpers for the logic modules (imported by *.test.ts only, so never
// bundled): an in-memory Storage and a promise to await a condition.

import type { KV } from "./outbox";

/** memory is an in-memory KV with its map exposed. */
export function memory(): KV & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
}

/** Deferred is a promise with its resolve at hand. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
