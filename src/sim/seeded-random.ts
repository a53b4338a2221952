// A small seeded PRNG (mulberry32) and hash for simulated data and test schedules: the same seed gives the same
// sequence, so a simulated run or a failing crash cycle can be replayed exactly. Not for anything secret.

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit hash of a few numbers (any safe integers): a seeded value addressed by (seed, pool, k, …), not drawn in order. */
export function hashWords(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    // Split so indices past 2^32 still change the hash.
    for (const word of [part >>> 0, Math.floor(part / 2 ** 32) >>> 0]) {
      h = Math.imul(h ^ word, 0x01000193);
      h ^= h >>> 15;
      h = Math.imul(h, 0x2c1b3c6d);
      h ^= h >>> 12;
    }
  }
  return h >>> 0;
}
