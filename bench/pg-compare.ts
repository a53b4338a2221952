// bench:pg — the write funnel into PostgreSQL against the natural "before" on a server database (8 direct
// connections, each autocommitting its own batches) and against a one-connection COPY ceiling of the same rows,
// as ratios in one run with p50/p95/p99 latency; then 3 processes × 4 collectors into one database. Every variant
// writes the same trades into a fresh schema and is checked: 0 lost, 0 duplicated. Figures go to docs/.
// The funnel is judged by CPU per row: its writer thread plus the server backends of the writer's connections
// (found by their client ports, read from /proc/<pid>/stat: the server is local), against the COPY ceiling's
// process plus its backend (pg_backend_pid()); the connections each used are printed.
//
//   npm run bench:pg -- [--db postgresql://root@127.0.0.1/test] [--rows 200000] [--batch 200] [--producers 8]
//                       [--reps 1] [--processes 3] [--collectors 4]

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { finished } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { intFlag, parseFlags, runScript } from '../src/cli/command.ts';
import { LatencyRecorder } from '../src/common/latency-recorder.ts';
import { resolveDatabaseConfig, writerSettingsFrom } from '../src/config/database-config.ts';
import { LockOptimizedDatabaseManager } from '../src/funnel/lock-optimized-manager.ts';
import { logger } from '../src/logging/logger.ts';
import type { LatencySummary } from '../src/protocol/messages.ts';
import type { PostgresSettings } from '../src/protocol/writer-settings.ts';
import { syntheticPoolId, syntheticTrade } from '../src/sim/synthetic-trades.ts';
import { connectPg } from '../src/storage/postgres/connection.ts';
import { migratePostgres, quoteIdent } from '../src/storage/postgres/schema-migrations.ts';
import { TRADE_COLUMNS } from '../src/storage/postgres/trade-statements.ts';
import { validateTrade } from '../src/trades/trade-validation.ts';
import type { PgProducerData, PgProducerMessage } from './pg-producer.ts';

const PRODUCER = new URL('./pg-producer.js', import.meta.url);
const SEED = 7;
const POOLS = 16;
const COPY_ROWS = 5000;

interface Options {
  db: string;
  rows: number;
  batch: number;
  producers: number;
  reps: number;
  processes: number;
  collectors: number;
}

interface VariantResult {
  name: string;
  rows: number;
  seconds: number;
  rowsPerSec: number;
  latency: LatencySummary;
  lost: number;
  duplicated: number;
  /** CPU of the writing side (funnel: writer thread; COPY: the process) and of its server backends, ms. */
  cpu?: CpuSplit;
}

interface CpuSplit {
  clientMs: number;
  backendMs: number;
  /** The server connections the writing side used. */
  connections: number;
}

const CLK_TCK = 100;

/** utime + stime of a process (a local server backend), ms. */
function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

/** Time on a CPU of one thread of this process, ms. */
function threadCpuMs(tid: number): number {
  return Number(fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

/** The local TCP ports of this process's sockets (its server connections' client ports). */
function ownTcpPorts(): Set<number> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(Number.parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** The server backends of this process's connections named `gecko-collector <purpose>`. */
async function ownBackends(base: string, purpose: string): Promise<number[]> {
  const ports = ownTcpPorts();
  const c = await connectPg(pgOf(base), { purpose: 'bench-check' });
  try {
    const r = await c.query<{ pid: number; port: number }>(
      `SELECT pid, client_port AS port FROM pg_stat_activity WHERE application_name = $1 AND client_port IS NOT NULL`,
      [`gecko-collector ${purpose}`],
    );
    return r.rows.filter((row) => ports.has(row.port)).map((row) => row.pid);
  } finally {
    await c.end();
  }
}

function withSchema(url: string, schema: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`;
}

function pgOf(url: string): PostgresSettings {
  return writerSettingsFrom(resolveDatabaseConfig({ url })).postgres!;
}

/** A migrated schema with the dexes and pools every variant's trades point to. */
async function freshSchema(base: string): Promise<{ url: string; schema: string }> {
  const schema = `gecko_bench_${randomBytes(4).toString('hex')}`;
  const url = withSchema(base, schema);
  const c = await connectPg(pgOf(url), { purpose: 'bench-setup' });
  try {
    await migratePostgres(c, schema);
    await c.query(`INSERT INTO dexes (id, name, network) VALUES ('unknown', 'unknown', 'unknown')`);
    const ids = Array.from({ length: POOLS }, (_, i) => syntheticPoolId(i));
    await c.query(`INSERT INTO pools (id, address, dex_id) SELECT id, id, 'unknown' FROM unnest($1::text[]) AS id`, [
      ids,
    ]);
  } finally {
    await c.end();
  }
  return { url, schema };
}

async function dropSchema(base: string, schema: string): Promise<void> {
  const c = await connectPg(pgOf(base), { purpose: 'bench-setup' });
  await c.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
  await c.end();
}

async function stored(url: string, expected: number): Promise<{ lost: number; duplicated: number }> {
  const c = await connectPg(pgOf(url), { purpose: 'bench-check' });
  try {
    const r = await c.query<{ n: number; d: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM trades',
    );
    return { lost: expected - r.rows[0]!.d, duplicated: r.rows[0]!.n - r.rows[0]!.d };
  } finally {
    await c.end();
  }
}

/** Batch starts (trade indices) dealt round-robin to producers, as collectors interleave. */
function plan(rows: number, batch: number, producers: number, offset = 0): number[][] {
  const out: number[][] = Array.from({ length: producers }, () => []);
  for (let b = 0; b * batch < rows; b++) out[b % producers]!.push(offset + b * batch);
  return out;
}

/** Runs producer threads to completion; resolves with the wall time from "go" and the merged latency. */
async function runProducers(
  datas: PgProducerData[],
): Promise<{ seconds: number; latency: LatencySummary; failed: number }> {
  const workers = datas.map((d) => new Worker(PRODUCER, { workerData: d, transferList: d.port ? [d.port] : [] }));
  const messages = workers.map(
    (w) =>
      new Promise<PgProducerMessage & { kind: 'done' }>((resolve, reject) => {
        w.on('message', (m: PgProducerMessage) => m.kind === 'done' && resolve(m));
        w.on('error', reject);
      }),
  );
  await Promise.all(
    workers.map((w) => new Promise<void>((r) => w.on('message', (m: PgProducerMessage) => m.kind === 'ready' && r()))),
  );
  const t0 = performance.now();
  for (const w of workers) w.postMessage('go');
  const done = await Promise.all(messages);
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(workers.map((w) => w.terminate()));
  // Producers report summaries; the merged figure takes the worst producer's percentiles (conservative).
  const pick = (k: keyof LatencySummary) => Math.max(...done.map((d) => d.latency[k]));
  return {
    seconds,
    failed: done.reduce((n, d) => n + d.failed, 0),
    latency: {
      count: done.reduce((n, d) => n + d.latency.count, 0),
      mean:
        done.reduce((n, d) => n + d.latency.mean * d.latency.count, 0) /
        Math.max(
          1,
          done.reduce((n, d) => n + d.latency.count, 0),
        ),
      p50: pick('p50'),
      p95: pick('p95'),
      p99: pick('p99'),
      max: pick('max'),
    },
  };
}

async function funnelVariant(o: Options, url: string, producers: number) {
  const m = new LockOptimizedDatabaseManager(
    { url },
    { deferred: { path: path.join(os.tmpdir(), `bench-${process.pid}-${randomBytes(3).toString('hex')}.spool`) } },
  );
  const info = await m.initialize();
  try {
    const datas: PgProducerData[] = [];
    for (const starts of plan(o.rows, o.batch, producers))
      datas.push({ mode: 'funnel', port: await m.connect(), starts, batchSize: o.batch, seed: SEED, maxInFlight: 8 });
    const tid = info.osThreadId;
    const backends = await ownBackends(o.db, 'writer');
    const cpu0 = { writer: tid === null ? 0 : threadCpuMs(tid), backends: backends.map(processCpuMs) };
    const r = await runProducers(datas);
    const cpu: CpuSplit = {
      clientMs: tid === null ? Number.NaN : threadCpuMs(tid) - cpu0.writer,
      backendMs: backends.reduce((s, pid, k) => s + processCpuMs(pid) - cpu0.backends[k]!, 0),
      connections: backends.length,
    };
    const w = await m.getWriterMetrics();
    if (process.env.BENCH_DEBUG)
      console.log(
        `  writer: ${w.transactions} transactions, ${w.avgBatchesPerTransaction.toFixed(1)} batches each, commit mean ${w.commitMs.mean.toFixed(0)} ms (sum ${((w.commitMs.mean * w.transactions) / 1000).toFixed(1)} s)`,
      );
    return { ...r, cpu, batchesPerTransaction: w.avgBatchesPerTransaction };
  } finally {
    await m.close();
  }
}

async function directVariant(o: Options, url: string) {
  const postgres = pgOf(url);
  return runProducers(
    plan(o.rows, o.batch, o.producers).map((starts) => ({
      mode: 'direct' as const,
      postgres,
      starts,
      batchSize: o.batch,
      seed: SEED,
      maxInFlight: 1,
    })),
  );
}

function copyLine(values: readonly unknown[]): string {
  return values
    .map((v) =>
      v === null || v === undefined
        ? '\\N'
        : String(v).replace(/[\\\t\n\r]/g, (c) => `\\${{ '\\': '\\', '\t': 't', '\n': 'n', '\r': 'r' }[c]}`),
    )
    .join('\t');
}

/** The ceiling: one connection, plain COPY of COPY_ROWS rows per transaction into the empty table. */
async function copyVariant(o: Options, url: string) {
  const chunks: string[] = [];
  let lines: string[] = [];
  for (let i = 0; i < o.rows; i++) {
    const v = validateTrade(syntheticTrade(i, { seed: SEED }), i);
    if (v.ok) lines.push(copyLine(v.row));
    if (lines.length === COPY_ROWS || i === o.rows - 1) {
      chunks.push(`${lines.join('\n')}\n`);
      lines = [];
    }
  }
  const c = await connectPg(pgOf(url), { purpose: 'bench-copy' });
  const backend = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const latency = new LatencyRecorder(8192);
  const backend0 = processCpuMs(backend);
  const process0 = process.cpuUsage();
  const t0 = performance.now();
  for (const chunk of chunks) {
    const t = performance.now();
    await c.query('BEGIN');
    const stream = c.query(copyFrom(`COPY trades (${TRADE_COLUMNS.join(', ')}) FROM STDIN`));
    stream.end(chunk);
    await finished(stream);
    await c.query('COMMIT');
    latency.record(performance.now() - t);
  }
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(process0);
  const cpu: CpuSplit = {
    clientMs: (used.user + used.system) / 1000,
    backendMs: processCpuMs(backend) - backend0,
    connections: 1,
  };
  await c.end();
  return { seconds, latency: latency.summary(), failed: 0, cpu };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** CPU µs per row of the writing side plus its backends. */
function cpuPerRowUs(r: VariantResult): number {
  return r.cpu ? ((r.cpu.clientMs + r.cpu.backendMs) * 1000) / r.rows : Number.NaN;
}

function line(r: VariantResult): string {
  const l = r.latency;
  const cpu = r.cpu
    ? `  CPU/row ${cpuPerRowUs(r).toFixed(1)} µs (${((r.cpu.clientMs * 1000) / r.rows).toFixed(1)} + backend ${((r.cpu.backendMs * 1000) / r.rows).toFixed(1)}, ${r.cpu.connections} conn)`
    : '';
  return `${r.name.padEnd(30)} ${fmt(r.rowsPerSec).padStart(8)} rows/s  ${r.seconds.toFixed(1).padStart(6)} s  latency p50 ${l.p50.toFixed(0)} / p95 ${l.p95.toFixed(0)} / p99 ${l.p99.toFixed(0)} ms  lost ${r.lost}  duplicated ${r.duplicated}${cpu}`;
}

async function variant(
  o: Options,
  name: string,
  run: (url: string) => Promise<{ seconds: number; latency: LatencySummary; cpu?: CpuSplit }>,
): Promise<VariantResult> {
  const { url, schema } = await freshSchema(o.db);
  try {
    const r = await run(url);
    const check = await stored(url, o.rows);
    return {
      name,
      rows: o.rows,
      seconds: r.seconds,
      rowsPerSec: o.rows / r.seconds,
      latency: r.latency,
      ...check,
      ...(r.cpu ? { cpu: r.cpu } : {}),
    };
  } finally {
    await dropSchema(o.db, schema);
  }
}

/** 3 processes × 4 collectors: each process a funnel of its own, all into one schema. */
async function multiProcess(o: Options): Promise<VariantResult> {
  const { url, schema } = await freshSchema(o.db);
  try {
    // Whole batches per process: a producer always sends full batches.
    const per = Math.ceil(o.rows / o.processes / o.batch) * o.batch;
    const children = Array.from({ length: o.processes }, (_, k) =>
      spawn(
        process.execPath,
        [
          new URL(import.meta.url).pathname,
          '--child',
          '--db',
          url,
          '--rows',
          String(Math.min(per, o.rows - k * per)),
          '--offset',
          String(k * per),
          '--batch',
          String(o.batch),
          '--producers',
          String(o.collectors),
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      ),
    );
    const lineReaders = children.map((c) => readline.createInterface({ input: c.stdout! })[Symbol.asyncIterator]());
    for (const r of lineReaders) await r.next(); // "ready"
    const t0 = performance.now();
    for (const c of children) c.stdin!.write('go\n');
    const results = (await Promise.all(lineReaders.map(async (r) => JSON.parse((await r.next()).value as string)))) as {
      latency: LatencySummary;
    }[];
    const seconds = (performance.now() - t0) / 1000;
    const check = await stored(url, o.rows);
    const pick = (k: keyof LatencySummary) => Math.max(...results.map((x) => x.latency[k]));
    return {
      name: `${o.processes} processes × ${o.collectors} collectors`,
      rows: o.rows,
      seconds,
      rowsPerSec: o.rows / seconds,
      latency: { count: 0, mean: 0, p50: pick('p50'), p95: pick('p95'), p99: pick('p99'), max: pick('max') },
      ...check,
    };
  } finally {
    await dropSchema(o.db, schema);
  }
}

/** --child: one process of the multi-process run; "ready", then waits for "go" on stdin, then one JSON line. */
async function child(o: Options & { offset: number }): Promise<void> {
  const input = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const m = new LockOptimizedDatabaseManager(
    { url: o.db },
    { deferred: { path: path.join(os.tmpdir(), `bench-child-${process.pid}.spool`) } },
  );
  await m.initialize();
  const datas: PgProducerData[] = [];
  for (const starts of plan(o.rows, o.batch, o.producers, o.offset))
    datas.push({ mode: 'funnel', port: await m.connect(), starts, batchSize: o.batch, seed: SEED, maxInFlight: 8 });
  // Producers get ready (trades built) before the parent's "go".
  const ready = runProducersAfter(datas, async () => {
    process.stdout.write('ready\n');
    await input.next();
  });
  const r = await ready;
  await m.close();
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

async function runProducersAfter(datas: PgProducerData[], gate: () => Promise<void>) {
  const workers = datas.map((d) => new Worker(PRODUCER, { workerData: d, transferList: d.port ? [d.port] : [] }));
  const done = workers.map(
    (w) =>
      new Promise<PgProducerMessage & { kind: 'done' }>((r) =>
        w.on('message', (m: PgProducerMessage) => m.kind === 'done' && r(m)),
      ),
  );
  await Promise.all(
    workers.map((w) => new Promise<void>((r) => w.on('message', (m: PgProducerMessage) => m.kind === 'ready' && r()))),
  );
  await gate();
  for (const w of workers) w.postMessage('go');
  const results = await Promise.all(done);
  await Promise.all(workers.map((w) => w.terminate()));
  const pick = (k: keyof LatencySummary) => Math.max(...results.map((d) => d.latency[k]));
  return { latency: { p50: pick('p50'), p95: pick('p95'), p99: pick('p99'), max: pick('max') } };
}

const USAGE = `usage: npm run bench:pg -- [--db postgresql://root@127.0.0.1/test] [--rows 200000] [--batch 200]
                        [--producers 8] [--reps 1] [--processes 3] [--collectors 4] [--out FILE.json]
  Writes the same trades into a fresh schema of --db per variant (funnel, direct connections, COPY ceiling; then
  --processes processes of --collectors collectors) and drops it; prints rows/s, CPU per row and ratios.`;

async function main(): Promise<void> {
  const { values } = parseFlags(process.argv.slice(2), {
    db: { type: 'string' },
    rows: { type: 'string' },
    batch: { type: 'string' },
    producers: { type: 'string' },
    reps: { type: 'string' },
    processes: { type: 'string' },
    collectors: { type: 'string' },
    child: { type: 'boolean' },
    offset: { type: 'string' },
    out: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const o: Options = {
    db: values.db ?? 'postgresql://root@127.0.0.1/test',
    rows: intFlag('rows', values.rows, 200_000, 1),
    batch: intFlag('batch', values.batch, 200, 1, 5000),
    producers: intFlag('producers', values.producers, 8, 1, 64),
    reps: intFlag('reps', values.reps, 1, 1, 20),
    processes: intFlag('processes', values.processes, 3, 0, 16),
    collectors: intFlag('collectors', values.collectors, 4, 1, 64),
  };
  if (values.child) return child({ ...o, offset: intFlag('offset', values.offset, 0, 0) });
  // Producers send whole batches: the row count is rounded up to them.
  o.rows = Math.ceil(o.rows / o.batch) * o.batch;
  // The writer threads and child processes read the level from the environment.
  process.env.GECKO_LOG_LEVEL ??= 'warn';
  logger.level = process.env.GECKO_LOG_LEVEL;
  const server = await (async () => {
    const c = new pg.Client({ connectionString: pgOf(o.db).connectionString });
    await c.connect();
    const v = (await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v;
    await c.end();
    return v;
  })();
  console.log(
    `machine: ${os.cpus()[0]?.model.trim()}, ${os.availableParallelism()} cores, Node ${process.version}, PostgreSQL ${server}; load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `${fmt(o.rows)} trades in batches of ${o.batch}, ${o.producers} producers; each variant into a fresh schema`,
  );
  const all: VariantResult[] = [];
  for (let rep = 1; rep <= o.reps; rep++) {
    const order = ['funnel', 'direct', 'copy'];
    // Rotated per rep, so no variant always runs on a warmer (or busier) server.
    for (const name of order.slice(rep - 1).concat(order.slice(0, rep - 1))) {
      const r =
        name === 'funnel'
          ? await variant(o, `funnel (1 writer, ${o.producers} senders)`, (url) => funnelVariant(o, url, o.producers))
          : name === 'direct'
            ? await variant(o, `${o.producers} direct connections`, (url) => directVariant(o, url))
            : await variant(o, 'COPY ceiling (1 connection)', (url) => copyVariant(o, url));
      all.push(r);
      console.log(`rep ${rep}  ${line(r)}`);
    }
  }
  const median = (prefix: string) => {
    const xs = all
      .filter((r) => r.name.startsWith(prefix))
      .map((r) => r.rowsPerSec)
      .sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)]!;
  };
  const funnel = median('funnel (');
  const medianCpu = (prefix: string) => {
    const xs = all
      .filter((r) => r.name.startsWith(prefix))
      .map(cpuPerRowUs)
      .sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)]!;
  };
  const copyCpu = medianCpu('COPY');
  console.log(
    `CPU per row (writing side + its server backends, medians): funnel ${medianCpu('funnel (').toFixed(1)} µs, COPY ceiling ${copyCpu.toFixed(1)} µs; funnel / COPY ${(medianCpu('funnel (') / copyCpu).toFixed(2)} (goal ≤ 1.5)`,
  );
  console.log(
    `ratios (medians): funnel / COPY ceiling ${(funnel / median('COPY')).toFixed(2)}; funnel / ${o.producers} direct ${(funnel / median(`${o.producers} direct`)).toFixed(2)}`,
  );
  if (o.processes > 0) {
    const r = await multiProcess(o);
    all.push(r);
    console.log(`       ${line(r)}`);
  }
  if (values.out) fs.writeFileSync(values.out, JSON.stringify({ options: o, server, results: all }, null, 2));
  const bad = all.filter((r) => r.lost !== 0 || r.duplicated !== 0);
  if (bad.length > 0) {
    console.error(`lost or duplicated rows in: ${bad.map((r) => r.name).join(', ')}`);
    process.exitCode = 1;
  }
}

await runScript('bench:pg', USAGE, main);
