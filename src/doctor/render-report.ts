// Text form of the doctor report, on either engine: the store's own head (SQLite: file, settings and checks;
// PostgreSQL: server, schema and lease holders), then the sections both share (tables, pools, gaps, cursors to
// repair, the spool, the last run, notes); a few aligned tables a person can scan. `--json` prints the report.

import path from 'node:path';
import { BATCH_ORIGINS } from '../protocol/flush-reason.ts';
import type { GapsReport } from '../storage/doctor-sections.ts';
import { lockPathFor } from '../storage/sqlite/database-lock.ts';
import { renderBadCursors } from './cursor-report.ts';
import type { DatabaseReport, PgDatabaseReport } from './database-report.ts';
import { membershipSection } from './membership-report.ts';

export type DoctorReport = DatabaseReport | PgDatabaseReport;

/** Renders one section of either engine's report; returns no lines when the section is absent. */
export type SectionRenderer = (report: DoctorReport) => string[];

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

/** Left-aligned columns; numbers right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string[] {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number'));
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells.map((r) =>
    r
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** The gaps section (both stores' reports): the count, then the latest ones. */
export function renderGaps(gaps: GapsReport): string[] {
  if (gaps.count === 0) return ['gaps: none'];
  return [
    `gaps: ${gaps.count}${gaps.latest.length < gaps.count ? ` (latest ${gaps.latest.length})` : ''}`,
    ...table(
      ['pool', 'from', 'to', 'detected', 'trades in response'],
      gaps.latest.map((g) => [g.poolId, g.gapStart, g.gapEnd, g.detectedAt, g.tradesInResponse]),
    ).map((l) => `  ${l}`),
  ];
}

function lockErrorsLine(r: DatabaseReport): string {
  if (!r.lastRun) return `${r.lockErrors} (no run metrics snapshot yet)`;
  const when = r.lastRun.finishedAt
    ? `run finished ${r.lastRun.finishedAt}`
    : `run not finished; figures of ${r.lastRun.at}`;
  return `${r.lockErrors} (busy retries ${r.lastRun.busyRetries}; last ${when})`;
}

function writingNowLine(r: DatabaseReport): string {
  const w = r.writerProcess;
  if (w.state === 'held') return `yes: process ${w.pid} holds ${lockPathFor(r.path)}`;
  if (w.state === 'free') return 'no collector or import is writing it';
  return `unknown (${w.reason})`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
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

export const spoolSection: SectionRenderer = (r) => {
  const sp = r.spool;
  if (sp === undefined) return [];
  if (sp === null)
    return ['deferred queue: no spool file (nothing deferred is waiting; a run removes its spool once drained)'];
  const rows: (string | number)[][] = [];
  if (sp.error) rows.push(['error', sp.error]);
  else {
    rows.push(['waiting', sp.batches === 0 ? 'empty' : `${sp.batches} batches, ${sp.rows} rows (${bytes(sp.bytes)})`]);
    if (sp.oldestEnqueuedAt !== null && sp.oldestAgeMs !== null)
      rows.push(['oldest', `${sp.oldestEnqueuedAt} (${duration(sp.oldestAgeMs)} ago)`]);
    if (sp.maxAttempts > 0)
      rows.push([
        'failed replays',
        `up to ${sp.maxAttempts} per batch${sp.lastError ? `; last error: ${sp.lastError}` : ''}`,
      ]);
  }
  rows.push(['file', `${sp.path} (${bytes(sp.fileBytes)})`]);
  return table(['deferred queue', ''], rows);
};

/** What an unfinished snapshot means, by whether a process writes the database now. */
const UNFINISHED: Record<DatabaseReport['writerProcess']['state'], string> = {
  held: ' (run still going)',
  free: ' (run did not finish cleanly)',
  unknown: ' (run still going, or did not finish cleanly)',
};

/** The last run's figures (`<db>.metrics.json`). */
export const lastRunSection: SectionRenderer = (r) => {
  const lr = r.lastRun;
  if (!lr) return ['last run: no metrics snapshot (a collect run writes <db>.metrics.json)'];
  const rows: (string | number)[][] = [
    [
      'figures of',
      `${lr.at}${lr.finishedAt ? ' (end of run)' : UNFINISHED[r.engine === 'sqlite' ? r.writerProcess.state : 'unknown']}`,
    ],
    ['run', `${lr.manager}, pragmas ${lr.pragmas}, batching ${lr.batching ? 'on' : 'off'}; started ${lr.startedAt}`],
    ['lock errors', `${lr.lockErrors} (busy retries ${lr.busyRetries})`],
  ];
  if (lr.breaker) {
    const b = lr.breaker;
    rows.push([
      'breaker',
      `${b.state}${b.openedAt ? ` since ${b.openedAt}` : ''}; opened ${b.opens} times (${duration(b.timeInOpenMs)} open), ${b.rejections} rejections, ${b.failures} failures, ${b.successes} successes`,
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
      `${lr.writer.restarts}${lr.writer.lastRestartAt ? ` (last ${lr.writer.lastRestartAt})` : ''}`,
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
  return table(['last run', lr.file], rows);
};

/** The pools table; on PostgreSQL with who holds each pool's lease. */
function poolLines(r: DoctorReport): string[] {
  if (r.pools.length === 0)
    return [
      r.engine === 'sqlite' ? 'pools: none with trades or a cursor' : 'pools: none with trades, a cursor or a lease',
    ];
  const shown = r.pools.slice(0, MAX_POOLS_SHOWN);
  const header = ['pool', 'trades', 'last trade', 'cursor', 'gaps'];
  const rows = shown.map((p) => [
    p.poolId,
    p.tradeCount,
    p.lastTradeTimestamp ?? '-',
    p.cursor?.lastTradeTimestamp ?? '-',
    p.gapCount,
  ]);
  if (r.engine === 'postgres') {
    header.push('held by', 'since');
    r.pools
      .slice(0, MAX_POOLS_SHOWN)
      .forEach((p, i) =>
        rows[i]!.push(
          p.lease?.holder ? `${p.lease.host ?? '?'} pid ${p.lease.pid ?? '?'}` : p.lease ? 'nobody' : '-',
          p.lease?.since ?? '-',
        ),
      );
  }
  const out = [`pools: ${r.pools.length}`, ...table(header, rows).map((l) => `  ${l}`)];
  if (r.pools.length > shown.length) out.push(`  ... ${r.pools.length - shown.length} more (see --json)`);
  return out;
}

/** SQLite's head: the file, its checks and settings, its tables. */
function sqliteHead(r: DatabaseReport): string[] {
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
    ),
    '',
    ...table(
      ['table', 'rows'],
      r.tables.map((t) => [t.name, t.rows ?? `? (${t.error ?? 'unreadable'})`]),
    ),
  );
  return out;
}

/** PostgreSQL's head: the server, the schema, this host's files, the tables. */
function pgHead(r: PgDatabaseReport): string[] {
  return [
    ...table(
      ['database', r.server],
      [
        ['server', r.serverVersion],
        ['schema', `${r.schema}, version ${r.schemaVersion} (this build: ${r.buildSchemaVersion})`],
        ['synchronous_commit', r.synchronousCommit],
        ['local files', r.localFiles.length > 0 ? r.localFiles.join(', ') : `none in ${path.dirname(r.localBase)}`],
      ],
    ),
    '',
    ...table(
      ['table', 'rows', 'size'],
      r.tables.map((t) => [t.name, t.rows, bytes(t.bytes)]),
    ),
  ];
}

/** PostgreSQL's lease holders: which processes share the pools now. */
const leaseHoldersSection: SectionRenderer = (r) => {
  if (r.engine !== 'postgres') return [];
  if (r.holders.length === 0) return ['lease holders: none (no collect process holds a pool now)'];
  return [
    `lease holders: ${r.holders.length}`,
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
  ];
};

/** The report as text. `extraSections` come after the built-in ones, before the notes. */
export function renderReport(r: DoctorReport, extraSections: readonly SectionRenderer[] = []): string {
  const out = r.engine === 'sqlite' ? sqliteHead(r) : pgHead(r);
  out.push('', ...poolLines(r), '', ...renderGaps(r.gaps));
  for (const render of [
    leaseHoldersSection,
    cursorSection,
    membershipSection,
    spoolSection,
    lastRunSection,
    ...extraSections,
  ]) {
    const lines = render(r);
    if (lines.length > 0) out.push('', ...lines);
  }
  if (r.notes.length > 0) out.push('', ...r.notes.map((n) => `note: ${n}`));
  return out.join('\n');
}
