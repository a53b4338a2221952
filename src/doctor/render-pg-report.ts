// Text form of the PostgreSQL doctor report: the server, tables, pools with their lease holders, gaps, the
// processes holding leases, and this host's spool and last run.

import { renderBadCursors } from './cursor-report.ts';
import type { PgDatabaseReport } from './database-report.ts';
import { renderGaps, table } from './render-report.ts';

const MAX_POOLS_SHOWN = 25;

function mib(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function renderPgReport(r: PgDatabaseReport): string {
  const out: string[] = [];
  out.push(
    ...table(
      ['database', r.server],
      [
        ['server', r.serverVersion],
        ['schema', `${r.schema}, version ${r.schemaVersion} (this build: ${r.buildSchemaVersion})`],
        ['synchronous_commit', r.synchronousCommit],
        ['local files', `${r.localBase}.spool, ${r.localBase}.metrics.json`],
      ],
    ),
  );
  out.push(
    '',
    ...table(
      ['table', 'rows', 'size'],
      r.tables.map((t) => [t.name, t.rows, mib(t.bytes)]),
    ),
  );
  out.push('');
  if (r.pools.length === 0) out.push('pools: none with trades, a cursor or a lease');
  else {
    out.push(`pools: ${r.pools.length}`);
    const shown = r.pools.slice(0, MAX_POOLS_SHOWN);
    out.push(
      ...table(
        ['pool', 'trades', 'last trade', 'cursor', 'gaps', 'held by', 'since'],
        shown.map((p) => [
          p.poolId,
          p.tradeCount,
          p.lastTradeTimestamp ?? '-',
          p.cursor?.lastTradeTimestamp ?? '-',
          p.gapCount,
          p.lease?.holder ? `${p.lease.host ?? '?'} pid ${p.lease.pid ?? '?'}` : p.lease ? 'nobody' : '-',
          p.lease?.since ?? '-',
        ]),
      ).map((l) => `  ${l}`),
    );
    if (r.pools.length > shown.length) out.push(`  ... ${r.pools.length - shown.length} more (see --json)`);
  }
  out.push('');
  out.push(...renderGaps(r.gaps));
  out.push('');
  if (r.holders.length === 0) out.push('lease holders: none (no collect process holds a pool now)');
  else {
    out.push(`lease holders: ${r.holders.length}`);
    out.push(
      ...table(
        ['process', 'pools', 'holding since', 'last renewal', 'heartbeat'],
        r.holders.map((h) => [
          `${h.host ?? '?'} pid ${h.pid ?? '?'}`,
          h.pools,
          h.holdingSince,
          h.lastRenewal,
          h.heartbeatAt ?? '-',
        ]),
      ).map((l) => `  ${l}`),
    );
  }
  if (r.spool) out.push('', `spool ${r.spool.path}: ${r.spool.batches} batches, ${r.spool.rows} rows waiting`);
  if (r.lastRun)
    out.push(
      '',
      `last run here: ${r.lastRun.finishedAt ? `finished ${r.lastRun.finishedAt}` : `not finished; figures of ${r.lastRun.at}`}`,
    );
  const cursors = renderBadCursors(
    r.server,
    r.badCursors,
    'the next collect or import on this database repairs them when it starts',
  );
  if (cursors.length > 0) out.push('', ...cursors);
  if (r.notes.length > 0) out.push('', ...r.notes.map((n) => `note: ${n}`));
  return out.join('\n');
}
