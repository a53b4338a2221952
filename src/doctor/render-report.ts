// Text form of the doctor report, on either engine: the store's own head (SQLite: file, settings and checks;
// PostgreSQL: server, schema and lease holders), then the sections both share (tables, pools, gaps, cursors to
// repair, the spool, the last run, notes); a few aligned tables a person can scan. `--json` prints the report.

import path from 'node:path';
import { displayTime, displayDuration as duration } from '../common/display-time.ts';
import { fitLines } from '../common/text-fit.ts';
import { fitTable, type TableColumn } from '../common/text-table.ts';
import { BATCH_ORIGINS } from '../protocol/flush-reason.ts';
import type { GapsReport } from '../storage/doctor-sections.ts';
import { lockPathFor } from '../storage/sqlite/database-lock.ts';
import { renderBadCursors } from './cursor-report.ts';
import type { DatabaseReport, PgDatabaseReport } from './database-report.ts';
import type { LastRunSnapshot } from './last-run.ts';
import { membershipSection } from './membership-report.ts';

export type DoctorReport = DatabaseReport | PgDatabaseReport;

/**
 * Renders one section of either engine's report, fitted to `width` (undefined: --wide); returns no lines when
 * the section is absent.
 */
export type SectionRenderer = (report: DoctorReport, width?: number) => string[];

const MAX_POOLS_SHOWN = 25;

function bytes(n: number | null): string {
  if (n === null) return 'none';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g;

/** A time as people read it; `-` for none. */
const when = (t: string | null | undefined): string => (t ? displayTime(t) : '-');

/**
 * Left-aligned columns, numbers right-aligned; the last column's text wraps to fit `width`, and `columns` may
 * say which others can be cut or left out.
 */
export function table(
  header: string[],
  rows: (string | number)[][],
  width?: number,
  columns: readonly Partial<TableColumn>[] = [],
  indent = '',
): string[] {
  const specs = header.map(
    (h, c): TableColumn => ({
      header: h,
      right: rows.length > 0 && rows.every((r) => typeof r[c] === 'number'),
      ...(c === header.length - 1 ? { wrapTo: 24 } : {}),
      ...columns[c],
    }),
  );
  const fitted = fitTable(specs, rows, width, indent);
  if (fitted.dropped.length > 0)
    fitted.lines.push(`${indent}(${fitted.dropped.join(', ')} left out to fit: --wide shows all)`);
  return fitLines(fitted.lines, width);
}

/** The gaps section (both stores' reports): the count, then the latest ones. */
export function renderGaps(gaps: GapsReport, width?: number): string[] {
  if (gaps.count === 0) return ['gaps: none'];
  const filled = gaps.open !== undefined;
  return [
    `gaps: ${gaps.count}${filled ? `, ${gaps.open} open ('gecko-collector backfill' fills them)` : ''}${gaps.latest.length < gaps.count ? ` (latest ${gaps.latest.length})` : ''}`,
    ...table(
      ['pool', 'from', 'to', 'in response', 'detected', ...(filled ? ['filled'] : [])],
      gaps.latest.map((g) => [
        g.poolId,
        when(g.gapStart),
        when(g.gapEnd),
        g.tradesInResponse,
        when(g.detectedAt),
        ...(filled ? [g.filledAt ? when(g.filledAt) : 'open'] : []),
      ]),
      width,
      [{ cutTo: 16 }, {}, {}, { drop: 3 }, { drop: 2 }, { drop: 1 }],
      '  ',
    ),
  ];
}

function lockErrorsLine(r: DatabaseReport): string {
  if (!r.lastRun) return `${r.lockErrors} (no run metrics snapshot yet)`;
  const last = r.lastRun.finishedAt
    ? `run finished ${when(r.lastRun.finishedAt)}`
    : `run ${r.lastRun.state === 'running' ? 'still going' : 'did not finish cleanly'}; figures of ${when(r.lastRun.at)}`;
  return `${r.lockErrors} (busy retries ${r.lastRun.busyRetries}; last ${last})`;
}

function writingNowLine(r: DatabaseReport): string {
  const w = r.writerProcess;
  if (w.state === 'held') return `yes: process ${w.pid} holds ${lockPathFor(r.path)}`;
  if (w.state === 'free') return 'no collector or import is writing it';
  return `unknown (${w.reason})`;
}

/** Cursors to repair: doctor --repair-cursors on SQLite; on PostgreSQL the next run repairs them. */
export const cursorSection: SectionRenderer = (r) =>
  r.engine === 'sqlite'
    ? renderBadCursors(r.path, r.badCursors)
    : renderBadCursors(
        r.server,
        r.badCursors,
        'the next collect or import on this database repairs them when it starts',
      );

/** The deferred queue now (its spool, read-only). */

export const spoolSection: SectionRenderer = (r, width) => {
  const sp = r.spool;
  if (sp === undefined) return [];
  if (sp === null)
    return ['deferred queue: no spool file (nothing deferred is waiting; a run removes its spool once drained)'];
  const rows: (string | number)[][] = [];
  if (sp.error) rows.push(['error', sp.error]);
  else {
    rows.push(['waiting', sp.batches === 0 ? 'empty' : `${sp.batches} batches, ${sp.rows} rows (${bytes(sp.bytes)})`]);
    if (sp.oldestEnqueuedAt !== null && sp.oldestAgeMs !== null)
      rows.push(['oldest', `${when(sp.oldestEnqueuedAt)} (${duration(sp.oldestAgeMs)} ago)`]);
    if (sp.maxAttempts > 0)
      rows.push([
        'failed replays',
        `up to ${sp.maxAttempts} per batch${sp.lastError ? `; last error: ${sp.lastError}` : ''}`,
      ]);
  }
  rows.push(['file', `${sp.path} (${bytes(sp.fileBytes)})`]);
  return table(['deferred queue', ''], rows, width);
};

const SNAPSHOT_OF: Record<LastRunSnapshot['state'], string> = {
  finished: ' (end of run)',
  running: ' (run still going)',
  died: ' (run did not finish cleanly)',
};

/** The last run's figures (`<db>.metrics.json`). */
export const lastRunSection: SectionRenderer = (r, width) => {
  const lr = r.lastRun;
  if (!lr) return ['last run: no metrics snapshot (a collect run writes <db>.metrics.json)'];
  const rows: (string | number)[][] = [
    ['figures of', `${when(lr.at)}${SNAPSHOT_OF[lr.state]}`],
    [
      'run',
      `${lr.manager}, pragmas ${lr.pragmas}, batching ${lr.batching ? 'on' : 'off'}; started ${when(lr.startedAt)}`,
    ],
    ['lock errors', `${lr.lockErrors} (busy retries ${lr.busyRetries})`],
  ];
  if (lr.breaker) {
    const b = lr.breaker;
    rows.push([
      'breaker',
      `${b.state}${b.openedAt ? ` since ${when(b.openedAt)}` : ''}; opened ${b.opens} times (${duration(b.timeInOpenMs)} open), ${b.rejections} rejections, ${b.failures} failures, ${b.successes} successes`,
    ]);
  }
  if (lr.deferred) {
    const d = lr.deferred;
    const oldest = d.oldestAgeMs === null ? '' : `, oldest ${duration(d.oldestAgeMs)}`;
    rows.push([
      'deferred',
      `${d.batches} batches / ${d.rows} rows waiting${oldest}; ${d.deferredTotal} deferred, ${d.replayedTotal} replayed during the run`,
    ]);
  }
  if (lr.writer)
    rows.push([
      'writer restarts',
      `${lr.writer.restarts}${lr.writer.lastRestartAt ? ` (last ${when(lr.writer.lastRestartAt)})` : ''}`,
    ]);
  if (lr.batchFill) {
    const f = lr.batchFill;
    rows.push([
      'batch fill',
      `${f.avgBatchSize.toFixed(1)} of ${f.maxBatchSize} rows on average (${Math.round(f.fill * 100)}%), ${f.batches} batches, ${f.rows} rows`,
    ]);
    if (f.byReason) {
      const by = f.byReason;
      const parts = BATCH_ORIGINS.filter((o) => by[o].batches > 0).map(
        (o) => `${o} ${by[o].batches} (${by[o].rows} rows)`,
      );
      rows.push(['batches cut by', parts.length > 0 ? parts.join(', ') : 'none']);
    }
  }
  if (lr.rejectedTrades) {
    const { total, byPool } = lr.rejectedTrades;
    rows.push(['rejected trades', `${total} (refused on arrival, not stored)`]);
    for (const p of byPool.slice(0, 5)) rows.push(['  in pool', `${p.pool}: ${p.rejected}`]);
    if (byPool.length > 5)
      rows.push(['  in pool', `... and ${byPool.length - 5} more pools (doctor --json lists them all)`]);
  }
  rows.push(['alerts', lr.alerts.length === 0 ? 'none' : lr.alerts.map((a) => `${a.name} (${a.message})`).join('; ')]);
  if (lr.note) rows.push(['note', lr.note]);
  return table(['last run', lr.file], rows, width);
};

/** The pools table; on PostgreSQL with who holds each pool's lease. */
function poolLines(r: DoctorReport, width: number | undefined): string[] {
  if (r.pools.length === 0)
    return [
      r.engine === 'sqlite' ? 'pools: none with trades or a cursor' : 'pools: none with trades, a cursor or a lease',
    ];
  const shown = r.pools.slice(0, MAX_POOLS_SHOWN);
  const header = ['pool', 'trades', 'last trade', 'cursor', 'gaps'];
  // A cursor on the pool's newest trade (the usual case) is `= last`: the column stays narrow.
  const rows = shown.map((p) => [
    p.poolId,
    p.tradeCount,
    when(p.lastTradeTimestamp),
    p.cursor && p.cursor.lastTradeTimestamp === p.lastTradeTimestamp ? '= last' : when(p.cursor?.lastTradeTimestamp),
    p.gapCount,
  ]);
  const columns: Partial<TableColumn>[] = [{ cutTo: 20 }, {}, {}, { drop: 3 }, {}];
  if (r.engine === 'postgres') {
    header.push('held by', 'since');
    r.pools
      .slice(0, MAX_POOLS_SHOWN)
      .forEach((p, i) =>
        rows[i]!.push(
          p.lease?.holder ? `${p.lease.host ?? '?'} pid ${p.lease.pid ?? '?'}` : p.lease ? 'nobody' : '-',
          when(p.lease?.since),
        ),
      );
    columns.push({ drop: 2 }, { drop: 1 });
  }
  const out = [`pools: ${r.pools.length}`, ...table(header, rows, width, columns, '  ')];
  if (r.pools.length > shown.length) out.push(`  ... ${r.pools.length - shown.length} more (see --json)`);
  return out;
}

/** SQLite's head: the file, its checks and settings, its tables. */
function sqliteHead(r: DatabaseReport, width: number | undefined): string[] {
  const out: string[] = [];
  const integrity =
    r.integrity === 'ok' ? 'ok' : `FAILED (${r.integrity.length} problem${r.integrity.length === 1 ? '' : 's'})`;
  const dangling = r.foreignKeys.reduce((n, v) => n + v.rows, 0);
  const foreignKeys = dangling === 0 ? 'ok' : `FAILED (${dangling} row${dangling === 1 ? '' : 's'} point to nothing)`;
  out.push(
    ...table(
      ['database', r.path],
      [
        [
          'size',
          `${bytes(r.files.databaseBytes)}, WAL ${bytes(r.files.walBytes)} (${r.files.pageCount} pages of ${r.files.pageSize} B, ${r.files.freelistPages} free)`,
        ],
        ['sqlite', r.sqliteVersion],
        [
          'schema',
          `version ${r.userVersion} (this build: ${r.schemaVersion})${r.schemaFlavor ? `, ${r.schemaFlavor}` : ''}`,
        ],
        ['journal_mode', r.journalMode],
        [r.integrityCheck === 'quick' ? 'quick_check' : 'integrity', integrity],
        ['foreign keys', foreignKeys],
        ['lock errors', lockErrorsLine(r)],
        ['writing now', writingNowLine(r)],
      ],
      width,
    ),
  );
  if (r.integrity !== 'ok') for (const m of r.integrity) out.push(`  ${m}`);
  for (const v of r.foreignKeys)
    out.push(`  ${v.table} → ${v.parent}: ${v.rows} row${v.rows === 1 ? '' : 's'} without a ${v.parent} row`);
  out.push(
    '',
    ...table(
      ['setting', 'collector', 'this reader'],
      [
        ['busy_timeout', `${r.busyTimeoutMs.collector} ms`, `${r.busyTimeoutMs.reader} ms`],
        ['cache_size', String(r.cacheSize.collector), String(r.cacheSize.reader)],
        ['synchronous', r.synchronous.collector, r.synchronous.reader],
      ],
      width,
    ),
    '',
    ...table(
      ['table', 'rows'],
      r.tables.map((t) => [t.name, t.rows ?? `? (${t.error ?? 'unreadable'})`]),
      width,
    ),
  );
  return out;
}

/** PostgreSQL's head: the server, the schema, this host's files, the tables. */
function pgHead(r: PgDatabaseReport, width: number | undefined): string[] {
  return [
    ...table(
      ['database', r.server],
      [
        ['server', r.serverVersion],
        ['schema', `${r.schema}, version ${r.schemaVersion} (this build: ${r.buildSchemaVersion})`],
        ['synchronous_commit', r.synchronousCommit],
        ['local files', r.localFiles.length > 0 ? r.localFiles.join(', ') : `none in ${path.dirname(r.localBase)}`],
      ],
      width,
    ),
    '',
    ...table(
      ['table', 'rows', 'size'],
      r.tables.map((t) => [t.name, t.rows, bytes(t.bytes)]),
      width,
    ),
  ];
}

/** PostgreSQL's lease holders: which processes share the pools now. */
const leaseHoldersSection: SectionRenderer = (r, width) => {
  if (r.engine !== 'postgres') return [];
  if (r.holders.length === 0) return ['lease holders: none (no collect process holds a pool now)'];
  return [
    `lease holders: ${r.holders.length}`,
    ...table(
      ['process', 'pools', 'holding since', 'last renewal', 'heartbeat'],
      r.holders.map((h) => [
        `${h.host ?? '?'} pid ${h.pid ?? '?'}`,
        h.pools,
        when(h.holdingSince),
        when(h.lastRenewal),
        when(h.heartbeatAt),
      ]),
      width,
      [{ cutTo: 16 }, {}, {}, { drop: 2 }, { drop: 1 }],
      '  ',
    ),
  ];
};

/**
 * The report as text, every line at most `width` wide (undefined: --wide, as wide as it takes). `extraSections`
 * come after the built-in ones, before the notes.
 */
export function renderReport(
  r: DoctorReport,
  extraSections: readonly SectionRenderer[],
  width: number | undefined,
): string {
  const out = r.engine === 'sqlite' ? sqliteHead(r, width) : pgHead(r, width);
  out.push('', ...poolLines(r, width), '', ...renderGaps(r.gaps, width));
  for (const render of [
    leaseHoldersSection,
    cursorSection,
    membershipSection,
    spoolSection,
    lastRunSection,
    ...extraSections,
  ]) {
    const lines = render(r, width);
    if (lines.length > 0) out.push('', ...lines);
  }
  // Notes are sentences built where the report is: their times read as every other time here.
  if (r.notes.length > 0) out.push('', ...r.notes.map((n) => `note: ${n.replace(ISO_TIME, (t) => displayTime(t))}`));
  return fitLines(out, width).join('\n');
}
