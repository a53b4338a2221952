// The text `reconcile` prints: one line per pool, the total, what a --min-volume-usd store can and cannot say,
// and the short buckets with the largest shortfalls. Fits 80 columns.

import type { ReconcileSummary } from '../fill/reconcile-run.ts';

/** Short buckets listed in the text (every one is in --json). */
const SHORT_LISTED = 20;

const pct = (x: number | null) => (x === null ? '    -' : `${(x * 100).toFixed(1).padStart(5)} %`);
const usd = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
/** A pool id cut to `n` characters (its network and the start of its address). */
const cut = (id: string, n: number) => (id.length <= n ? id.padEnd(n) : `${id.slice(0, n - 1)}…`);
const bucket = (sec: number) => new Date(sec * 1000).toISOString().slice(0, 16).replace('T', ' ');

export function formatReconcile(r: ReconcileSummary): string {
  const lines = [
    `reconcile ${r.timeframe}: ${r.pools.length} pools, ${r.calls} calls, ${r.candlesKept} API candles kept`,
    `${'pool'.padEnd(40)} ${'buckets'.padStart(8)} ${'short'.padStart(6)} ${'complete'.padStart(9)}`,
  ];
  let buckets = 0;
  let short = 0;
  for (const p of r.pools) {
    buckets += p.buckets;
    short += p.short.length;
    const tail = p.buckets === 0 && p.error === undefined ? '  no whole bucket' : '';
    lines.push(
      `${cut(p.poolId, 40)} ${String(p.buckets).padStart(8)} ${String(p.short.length).padStart(6)} ${pct(p.completeness).padStart(9)}${tail}`,
    );
    if (p.error !== undefined) lines.push(`  failed: ${p.error}`);
  }
  lines.push(
    `${'all pools (volume-weighted)'.padEnd(40)} ${String(buckets).padStart(8)} ${String(short).padStart(6)} ${pct(r.completeness).padStart(9)}`,
  );
  if (r.minVolumeUsd !== null)
    lines.push(
      `collected with --min-volume-usd ${r.minVolumeUsd}: trades at or below it are not stored,`,
      "so the store cannot add up to the API's volume; the completeness above is a",
      'lower bound (the API counts every trade).',
    );
  const all = r.pools.flatMap((p) => p.short.map((b) => ({ poolId: p.poolId, ...b })));
  all.sort((a, b) => b.apiVolumeUsd - b.storedVolumeUsd - (a.apiVolumeUsd - a.storedVolumeUsd));
  if (all.length > 0) {
    lines.push(`short buckets (stored below the API's volume by more than ${r.threshold * 100} %):`);
    for (const b of all.slice(0, SHORT_LISTED))
      lines.push(
        `  ${cut(b.poolId, 24)} ${bucket(b.startSec)} ${usd(b.storedVolumeUsd)} of ${usd(b.apiVolumeUsd)} USD (${pct(b.completeness).trim()})`,
      );
    if (all.length > SHORT_LISTED) lines.push(`  … and ${all.length - SHORT_LISTED} more (--json lists them)`);
  }
  if (r.interrupted) lines.push('interrupted: the pools above were reconciled; run it again for the rest');
  return lines.join('\n');
}
