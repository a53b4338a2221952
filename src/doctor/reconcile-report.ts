// doctor's reconcile section: each pool's newest reconcile against the API's candles (reconcile_runs), read-only.

import { displayTime } from '../common/display-time.ts';
import type { LatestReconcile } from '../storage/fill-reads.ts';
import { openFillReads } from '../storage/open-fill-reads.ts';

/** Each pool's newest reconcile; none when the store has none (or cannot be read: the report says so elsewhere). */
export async function readLatestReconciles(url: string): Promise<LatestReconcile[]> {
  let reads: Awaited<ReturnType<typeof openFillReads>>;
  try {
    reads = await openFillReads(url);
  } catch {
    return [];
  }
  try {
    return await reads.latestReconciles();
  } finally {
    await reads.close();
  }
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)} %`);
const cut = (id: string, n: number) => (id.length <= n ? id : `${id.slice(0, n - 1)}…`);

/** The section's lines (fits 80 columns); none before the first reconcile. */
export function renderReconciles(rows: readonly LatestReconcile[]): string[] {
  if (rows.length === 0) return [];
  const out = [
    `reconcile (newest per pool; 'gecko-collector reconcile' runs it):`,
    `  ${'pool'.padEnd(28)} ${'at'.padEnd(20)} ${'tf'.padEnd(3)} ${'short'.padStart(6)} ${'complete'.padStart(9)}`,
  ];
  for (const r of rows)
    out.push(
      `  ${cut(r.poolId, 28).padEnd(28)} ${displayTime(r.reconciledAt).padEnd(20)} ${r.timeframe.padEnd(3)} ${`${r.shortBuckets}/${r.buckets}`.padStart(6)} ${pct(r.completeness).padStart(9)}${r.minVolumeUsd !== null ? ' *' : ''}`,
    );
  if (rows.some((r) => r.minVolumeUsd !== null))
    out.push('  * collected with --min-volume-usd: a lower bound (filtered trades cannot add up)');
  return out;
}
