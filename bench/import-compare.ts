// `npm run bench:import -- [--rows 1000000] [--reps 1] [--csv FILE] [--batch N] [--seed N] [--json]`
//
// `import` of a CSV in the Python collector's export columns against the ceiling (bench/ceiling.ts: one thread,
// one connection, rows pre-built) on the same rows, in one run: rows/s, CPU per row (the import's reader +
// writer threads vs the ceiling's), user and system CPU, peak RSS. Each contender runs in its own child process
// on a fresh database; they alternate (import, ceiling; then ceiling, import; …) so host load hurts both alike.
// The CSV is generated first (not timed) unless --csv names one made by bench/import-csv.ts with the same rows/seed.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../src/cli/cli-error.ts';
import { intFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { DEFAULT_IMPORT_BATCH } from '../src/cli/import-command.ts';
import type { CeilingResult } from './ceiling.ts';
import { runChildJson } from './child-json.ts';
import { median } from './compare.ts';
import { writeImportCsv } from './import-csv.ts';
import type { ImportRunResult } from './import-run.ts';
import { type MachineSummary, machineSummary } from './machine.ts';
import { round } from './rounding.ts';

export interface ImportCompareOptions {
  rows: number;
  reps: number;
  seed: number;
  batchSize: number;
  /** An existing CSV of `rows` trades of `seed` (bench/import-csv.ts); generated in workDir when absent. */
  csv?: string;
  workDir?: string;
  onProgress?: (line: string) => void;
}

export interface ImportCompareResult {
  machine: MachineSummary;
  date: string;
  rows: number;
  csvBytes: number;
  reps: number;
  imports: ImportRunResult[];
  ceilings: Pick<
    CeilingResult,
    'rowsPerSec' | 'seconds' | 'cpuSeconds' | 'cpuUserSeconds' | 'cpuSystemSeconds' | 'peakRssMb' | 'transactions'
  >[];
  /** Medians over the reps, and [lowest, highest] of the per-rep ratios. */
  summary: {
    importRowsPerSec: number;
    ceilingRowsPerSec: number;
    /** import rows/s ÷ ceiling rows/s (goal ≥ 0.7). */
    rowsPerSecRatio: number;
    rowsPerSecRatioRange: [number, number];
    /** CPU µs per row: the import's reader and writer threads, and the ceiling's process. */
    readerUsPerRow: number | null;
    writerUsPerRow: number | null;
    ceilingUsPerRow: number;
    /** (reader + writer) ÷ ceiling, per row. */
    cpuRatio: number | null;
    cpuRatioRange: [number, number] | null;
    /** writer ÷ ceiling, per row. */
    writerCpuRatio: number | null;
  };
  problems: string[];
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

function childJson<T>(script: string, args: string[]): Promise<T> {
  return runChildJson<T>(path.join(HERE, script), [...args, '--json'], script, {
    ...process.env,
    GECKO_LOG_LEVEL: 'silent',
  });
}

function removeDb(p: string): void {
  for (const f of fs.readdirSync(path.dirname(p)))
    if (f.startsWith(path.basename(p))) fs.rmSync(path.join(path.dirname(p), f), { recursive: true, force: true });
}

export async function runImportCompare(o: ImportCompareOptions): Promise<ImportCompareResult> {
  const progress = o.onProgress ?? (() => {});
  const ownDir = !o.workDir;
  const dir = o.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-import-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  let generated: string | undefined;
  const imports: ImportRunResult[] = [];
  const ceilings: ImportCompareResult['ceilings'] = [];
  try {
    let csv = o.csv;
    if (!csv) {
      csv = path.join(dir, `trades-${o.rows}.csv`);
      generated = csv;
      const t0 = performance.now();
      writeImportCsv(csv, o.rows, o.seed);
      progress(`csv: ${o.rows} rows written in ${round((performance.now() - t0) / 1000, 1)} s`);
    }
    const csvBytes = fs.statSync(csv).size;
    for (let rep = 1; rep <= o.reps; rep++) {
      for (const who of rep % 2 === 1 ? ['import', 'ceiling'] : ['ceiling', 'import']) {
        if (who === 'import') {
          const db = path.join(dir, `import-${rep}.db`);
          const r = await childJson<ImportRunResult>('import-run.js', [
            '--csv',
            csv,
            '--db',
            db,
            '--batch',
            String(o.batchSize),
          ]);
          removeDb(db);
          imports.push(r);
          progress(
            `rep ${rep}/${o.reps} import   ${String(r.rowsPerSec).padStart(7)} rows/s  user ${r.userSeconds} s  sys ${r.systemSeconds} s  reader ${r.readerCpuSeconds} s  writer ${r.writerCpuSeconds} s  peak RSS ${r.peakRssMb} MB  ${r.transactions} transactions`,
          );
        } else {
          // One producer, no duplicates: trades 0 … rows-1 of the seed in file order, the CSV's very rows.
          const r = await childJson<CeilingResult>('ceiling.js', [
            '--trades',
            String(o.rows),
            '--collectors',
            '1',
            '--duplicates',
            '0',
            '--seed',
            String(o.seed),
            '--order',
            'funnel',
            '--dir',
            dir,
          ]);
          const { rowsPerSec, seconds, cpuSeconds, cpuUserSeconds, cpuSystemSeconds, peakRssMb, transactions } = r;
          ceilings.push({ rowsPerSec, seconds, cpuSeconds, cpuUserSeconds, cpuSystemSeconds, peakRssMb, transactions });
          progress(
            `rep ${rep}/${o.reps} ceiling  ${String(rowsPerSec).padStart(7)} rows/s  user ${cpuUserSeconds} s  sys ${cpuSystemSeconds} s  (rows pre-built: peak RSS ${peakRssMb} MB)`,
          );
        }
      }
    }
    return {
      machine: machineSummary(),
      date: new Date().toISOString(),
      rows: o.rows,
      csvBytes,
      reps: o.reps,
      imports,
      ceilings,
      ...summarize(o.rows, imports, ceilings),
    };
  } finally {
    if (generated) fs.rmSync(generated, { force: true });
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function summarize(
  rows: number,
  imports: ImportRunResult[],
  ceilings: ImportCompareResult['ceilings'],
): Pick<ImportCompareResult, 'summary' | 'problems'> {
  const problems: string[] = [];
  for (const r of imports)
    if (r.imported !== rows || r.rejected !== 0)
      problems.push(`an import stored ${r.imported} of ${rows} rows, ${r.rejected} rejected`);
  const perRow = (s: number | null) => (s === null ? null : (s * 1e6) / rows);
  const ratios = imports.map((r, k) => r.rowsPerSec / ceilings[k]!.rowsPerSec);
  const hasThreads = imports.every((r) => r.readerCpuSeconds !== null && r.writerCpuSeconds !== null);
  const cpuRatios = hasThreads
    ? imports.map((r, k) => (r.readerCpuSeconds! + r.writerCpuSeconds!) / ceilings[k]!.cpuSeconds)
    : null;
  const m = (xs: number[], digits: number) => round(median(xs), digits);
  const range = (xs: number[]): [number, number] => [round(Math.min(...xs), 3), round(Math.max(...xs), 3)];
  return {
    summary: {
      importRowsPerSec: m(
        imports.map((r) => r.rowsPerSec),
        0,
      ),
      ceilingRowsPerSec: m(
        ceilings.map((r) => r.rowsPerSec),
        0,
      ),
      rowsPerSecRatio: m(ratios, 3),
      rowsPerSecRatioRange: range(ratios),
      readerUsPerRow: hasThreads
        ? m(
            imports.map((r) => perRow(r.readerCpuSeconds)!),
            2,
          )
        : null,
      writerUsPerRow: hasThreads
        ? m(
            imports.map((r) => perRow(r.writerCpuSeconds)!),
            2,
          )
        : null,
      ceilingUsPerRow: m(
        ceilings.map((r) => perRow(r.cpuSeconds)!),
        2,
      ),
      cpuRatio: cpuRatios ? m(cpuRatios, 3) : null,
      cpuRatioRange: cpuRatios ? range(cpuRatios) : null,
      writerCpuRatio: hasThreads
        ? m(
            imports.map((r, k) => r.writerCpuSeconds! / ceilings[k]!.cpuSeconds),
            3,
          )
        : null,
    },
    problems,
  };
}

export function renderImportSummary(r: ImportCompareResult): string {
  const s = r.summary;
  const imp = (f: (x: ImportRunResult) => number) => round(median(r.imports.map(f)), 2);
  const ceil = (f: (x: ImportCompareResult['ceilings'][number]) => number) => round(median(r.ceilings.map(f)), 2);
  return [
    `| | rows/s | CPU µs/row | user s | system s | peak RSS MB |`,
    `|---|--:|--:|--:|--:|--:|`,
    `| import (reader + writer threads) | ${s.importRowsPerSec} | ${s.readerUsPerRow ?? '?'} + ${s.writerUsPerRow ?? '?'} | ${imp((x) => x.userSeconds)} | ${imp((x) => x.systemSeconds)} | ${imp((x) => x.peakRssMb)} |`,
    `| ceiling (rows pre-built) | ${s.ceilingRowsPerSec} | ${s.ceilingUsPerRow} | ${ceil((x) => x.cpuUserSeconds)} | ${ceil((x) => x.cpuSystemSeconds)} | ${ceil((x) => x.peakRssMb)} |`,
    '',
    `import / ceiling: rows/s ${s.rowsPerSecRatio}× (per rep ${s.rowsPerSecRatioRange[0]}–${s.rowsPerSecRatioRange[1]}; goal ≥ 0.7); ` +
      `CPU per row, reader + writer ${s.cpuRatio ?? '?'}× (per rep ${s.cpuRatioRange?.[0] ?? '?'}–${s.cpuRatioRange?.[1] ?? '?'}), writer alone ${s.writerCpuRatio ?? '?'}×`,
  ].join('\n');
}

const USAGE =
  'usage: npm run bench:import -- [--rows N] [--reps N] [--csv FILE] [--batch N] [--seed N] [--dir DIR] [--json]';

async function main(): Promise<void> {
  const { values: args } = parseFlags(process.argv.slice(2), {
    rows: { type: 'string' },
    reps: { type: 'string' },
    csv: { type: 'string' },
    batch: { type: 'string' },
    seed: { type: 'string' },
    dir: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (args.csv !== undefined && !fs.existsSync(args.csv)) throw new UsageError(`--csv ${args.csv} does not exist`);
  const machine = machineSummary();
  process.stderr.write(`${machine.line}\n`);
  const r = await runImportCompare({
    rows: intFlag('rows', args.rows, 1_000_000, 1),
    reps: intFlag('reps', args.reps, 1, 1),
    seed: intFlag('seed', args.seed, 7, 0),
    batchSize: intFlag('batch', args.batch, DEFAULT_IMPORT_BATCH, 1),
    ...(args.csv ? { csv: path.resolve(args.csv) } : {}),
    ...(args.dir ? { workDir: path.resolve(args.dir) } : {}),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  if (args.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else
    process.stdout.write(`${machine.line}\n${r.rows} rows, ${r.csvBytes} bytes of CSV\n\n${renderImportSummary(r)}\n`);
  if (r.problems.length) {
    process.stderr.write(`bench:import: figures not trustworthy:\n${r.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await runScript('bench:import', USAGE, main);
