// The keyless API's cache: an answer is computed once, then served unchanged for `ttlMs` to every request of the
// same path and query (parameter order aside), as GeckoTerminal's edge does (~60 s). Bounded: expired answers
// go first, then the oldest.

export interface CachedAnswer<T> {
  value: T;
  /** When it was computed (ms since epoch, the simulator's clock). */
  storedAt: number;
}

/** The cache key of a request: its path and its parameters sorted, so `?a=1&b=2` and `?b=2&a=1` share an answer. */
export function answerKey(pathname: string, query: URLSearchParams): string {
  const sorted = new URLSearchParams(
    [...query].sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1)),
  );
  return `${pathname}?${sorted}`;
}

export class AnswerCache<T> {
  private readonly entries = new Map<string, CachedAnswer<T>>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** The answer stored for `key` less than ttlMs before `nowMs`, or undefined. */
  get(key: string, nowMs: number): CachedAnswer<T> | undefined {
    const hit = this.entries.get(key);
    if (hit && nowMs - hit.storedAt < this.ttlMs && nowMs >= hit.storedAt) return hit;
    if (hit) this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: T, nowMs: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      for (const [k, e] of this.entries) if (nowMs - e.storedAt >= this.ttlMs) this.entries.delete(k);
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, { value, storedAt: nowMs });
  }
}
