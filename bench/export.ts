// `npm run -s bench:export -- [--rows N] [--formats csv,ndjson,parquet] [--keep DIR]`: export speed and memory.
// Builds a SQLite file of N synthetic trades (default 2,000,000; 16 pools), then runs `gecko-collector export`
// per format in a process of its own, twice: for 2 of the 16 pools (1/8 of the rows) and for all of them.
// Prints rows/s, CPU seconds and peak RSS of each run, and the RSS ratio all/one-eighth: a streaming export
// holds it near 1 (memory does not grow with the table), one that buffers would show about 8.
// --pg URL does the same from PostgreSQL too, after importing the same trades there (`import`, COPY) if the
// URL's trades table does not hold them yet; give it a schema of its own (…?schema=export_bench).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../src/cli/cli-error.ts';
import { intFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { resolveDatabaseConfig, writerSettingsFrom } from '../src/config/database-config.ts';
import { maskPassword } from '../src/config/postgres-url.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../src/export/export-trades.ts';
import { syntheticPoolId } from '../src/sim/synthetic-trades.ts';
import { connectPgOrFail } from '../src/storage/postgres/connection.ts';
import { machineSummary } from './machine.ts';
import { buildTradesFile } from './trades-file.ts';

const USAGE =
  'usage: npm run -s bench:export -- [--rows N] [--formats csv,ndjson,parquet] [--keep DIR] [--pg postgresql://… [--skip-sqlite]]';
const say = (s: string) => process.stdout.write(`${s}\n`);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, 'export-child.js');
const BIN = path.join(HERE, '../../bin/gecko-collector.mjs');

interface RunCost {
  code: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

function runExport(
  db: string,
  format: ExportFormat,
  out: string,
  extra: string[],
  remove = true,
): RunCost & { bytes: number } {
  const result = path.join(path.dirname(out), 'result.json');
  const r = spawnSync(process.execPath, [CHILD, 'export', '--db', db, '--format', format, '--out', out, ...extra], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_RESULT: result },
  });
  if (r.status !== 0) throw new Error(`export ${format} failed (${r.status}): ${r.stderr}`);
  const cost = JSON.parse(fs.readFileSync(result, 'utf8')) as RunCost;
  const bytes = fs.statSync(out).size;
  if (remove) fs.rmSync(out);
  return { ...cost, bytes };
}

/** Puts the file's trades into PostgreSQL with `gecko-collector import` (COPY) unless they are there already. */
async function loadPostgres(url: string, db: string, rows: number, dir: string): Promise<void> {
  const settings = writerSettingsFrom(resolveDatabaseConfig({ url })).postgres!;
  const client = await connectPgOrFail(settings, { purpose: 'bench' });
  try {
    const table = await client.query<{ t: string | null }>(`SELECT to_regclass('trades')::text AS t`);
    const have = table.rows[0]!.t
      ? (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM trades')).rows[0]!.n
      : 0;
    if (have === rows) {
      say(`reusing the ${rows.toLocaleString('en-US')} trades in PostgreSQL`);
      return;
    }
  } finally {
    await client.end();
  }
  const csv = path.join(dir, 'load.csv');
  runExport(db, 'csv', csv, [], false);
  const t0 = performance.now();
  // Run in the bench's folder: an import into PostgreSQL keeps its spool (and its lock file) in the working directory.
  const r = spawnSync(process.execPath, [BIN, 'import', csv, '--db', url, '--batch', '5000'], {
    encoding: 'utf8',
    cwd: dir,
  });
  if (r.status !== 0) throw new Error(`import into PostgreSQL failed (${r.status}): ${r.stderr}`);
  fs.rmSync(csv);
  say(
    `loaded PostgreSQL (gecko-collector import): ${r.stdout.trim()} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

await runScript('bench:export', USAGE, async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    rows: { type: 'string' },
    formats: { type: 'string' },
    keep: { type: 'string' },
    pg: { type: 'string' },
    'skip-sqlite': { type: 'boolean' },
  });
  if (values.help) {
    say(USAGE);
    return;
  }
  const rows = intFlag('rows', values.rows, 2_000_000, 8);
  const formats = (values.formats ?? EXPORT_FORMATS.join(',')).split(',') as ExportFormat[];
  for (const f of formats)
    if (!EXPORT_FORMATS.includes(f)) throw new UsageError(`--formats takes ${EXPORT_FORMATS.join(',')}, got ${f}`);
  say(machineSummary().line);

  const dir = values.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-bench-export-'));
  fs.mkdirSync(dir, { recursive: true });
  const db = path.join(dir, `trades-${rows}.db`);
  if (!fs.existsSync(db)) {
    const s = buildTradesFile(db, rows);
    say(`built ${db}: ${rows.toLocaleString('en-US')} trades in ${s.toFixed(1)} s`);
  } else say(`reusing ${db}`);
  const eighth = ['--pool', syntheticPoolId(0), '--pool', syntheticPoolId(1)];

  const measure = (label: string, source: string) => {
    say(`\n${label}\nformat   scope   rows        seconds  rows/s     CPU s   peak RSS MB  output MB`);
    const ratios: string[] = [];
    for (const f of formats) {
      const out = path.join(dir, `out.${f}`);
      const part = runExport(source, f, out, eighth);
      line(f, '1/8', rows / 8, part);
      const all = runExport(source, f, out, []);
      line(f, 'all', rows, all);
      ratios.push(`${f} ${(all.peakRssMb / part.peakRssMb).toFixed(2)}`);
    }
    say(`peak RSS all / 1/8 of the rows (1 = flat, 8 = grows with the table): ${ratios.join(', ')}`);
  };
  const line = (f: string, scope: string, n: number, c: RunCost & { bytes: number }) =>
    say(
      `${f.padEnd(8)} ${scope.padEnd(7)} ${n.toLocaleString('en-US').padStart(10)}  ${c.wallSeconds.toFixed(2).padStart(7)}  ` +
        `${Math.round(n / c.wallSeconds)
          .toLocaleString('en-US')
          .padStart(9)}  ${c.cpuSeconds.toFixed(2).padStart(6)}  ` +
        `${c.peakRssMb.toFixed(0).padStart(11)}  ${(c.bytes / 2 ** 20).toFixed(0).padStart(9)}`,
    );
  if (!values['skip-sqlite']) measure(`SQLite ${db}`, db);
  if (values.pg !== undefined) {
    await loadPostgres(values.pg, db, rows, dir);
    measure(`PostgreSQL ${maskPassword(values.pg)}`, values.pg);
  }
  if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
});
