// Deals a run's pools out to its collectors.

/** Round-robin into at most `collectors` non-empty groups. */
export function distributePools<T>(pools: readonly T[], collectors: number): T[][] {
  const n = Math.max(1, Math.min(collectors, pools.length));
  const groups: T[][] = Array.from({ length: n }, () => []);
  pools.forEach((p, i) => groups[i % n]!.push(p));
  return groups.filter((g) => g.length > 0);
}
