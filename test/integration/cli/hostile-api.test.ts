// `collect` against a hostile GeckoTerminal (test/support/hostile-gecko-server.ts), run as users run it: a
// child process of bin/gecko-collector.mjs. Per scenario: served vs stored trade by trade (the SQLite file read
// back), rejected counts, the cursor in collection_state, peak RSS of the child, neighbour pools' polling, exit code.
// Pages shaped to hurt the parser too: a page-mate nested 20,000 deep, 4 MiB of junk items on four pools at once,
// decimals whose exponent leaves the double range.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSummary } from '../../../src/cli/collect-summary.ts';
import type { CollectionSummary } from '../../../src/run/run-summary.ts';
import { logLines, runCollectChild } from '../../support/collect-child.ts';
import { cli } from '../../support/collect-run.ts';
import {
  BAD_ROW_VARIANTS,
  type BadRowVariant,
  type HostileGeckoServer,
  type HostilePool,
  settled,
  startHostileGeckoServer,
} from '../../support/hostile-gecko-server.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-hostile-');
const servers: HostileGeckoServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

interface Scenario {
  server: HostileGeckoServer;
  db: string;
  code: number | null;
  summary: CollectionSummary | undefined;
  stderr: string;
  peakRssMb: number;
}

const POLL_S = 0.25;

/**
 * One `collect` run against a fresh hostile server: for `length` seconds, or until `length(server)` holds (the
 * server has seen what the scenario needs, however long that takes on a busy machine; at most 90 s).
 */
async function collect(
  name: string,
  pools: HostilePool[],
  length: number | ((server: HostileGeckoServer) => boolean),
  extra: string[] = [],
  serverOptions: { newTradesPerRequest?: number } = {},
): Promise<Scenario> {
  const server = await startHostileGeckoServer({ pools, ...serverOptions });
  servers.push(server);
  const db = path.join(dir, `${name}.db`);
  const stopWhen =
    typeof length === 'function'
      ? settled(
          server,
          pools.map((p) => p.address),
          () => length(server),
        )
      : undefined;
  const args = [
    '--base-url',
    server.baseUrl,
    '--pools',
    pools.map((p) => p.address).join(','),
    '--duration',
    String(typeof length === 'number' ? length : 90),
    '--poll-interval',
    String(POLL_S),
    '--calls-per-minute',
    '6000',
    '--collectors',
    '1',
    '--preset',
    'development',
    '--log-level',
    'warn',
    '--log-format',
    'json',
    '--json',
    '--db',
    db,
    ...extra,
  ];
  const run = await runCollectChild(args, 50, { stopWhen });
  let summary: CollectionSummary | undefined;
  try {
    summary = JSON.parse(run.stdout) as CollectionSummary;
  } catch {
    summary = undefined;
  }
  return { server, db, code: run.code, summary, stderr: run.stderr, peakRssMb: run.peakRssMb };
}

function storedIds(db: string, poolId: string): Set<string> {
  const conn = new Database(db, { readonly: true });
  try {
    return new Set(
      (conn.prepare('SELECT id FROM trades WHERE pool_id = ?').all(poolId) as { id: string }[]).map((r) => r.id),
    );
  } finally {
    conn.close();
  }
}

function cursorOf(db: string, poolId: string): { id: string; timestamp: string } | undefined {
  const conn = new Database(db, { readonly: true });
  try {
    const row = conn
      .prepare('SELECT last_trade_id AS id, last_trade_timestamp AS timestamp FROM collection_state WHERE pool_id = ?')
      .get(poolId) as { id: string; timestamp: string } | undefined;
    return row;
  } finally {
    conn.close();
  }
}

/** What a correct collector stores of a pool: the good trades served, and the broken ones the row checks take. */
function expectedIds(s: HostileGeckoServer, address: string): Set<string> {
  const r = s.record(address);
  const ids = new Set(r.good.keys());
  for (const b of r.bad.values()) if (b.accepted && b.id !== undefined) ids.add(b.id);
  return ids;
}

/** The newest expected trade (ids carry the block number, which grows with the stream): where the cursor must stand. */
function newestExpected(s: HostileGeckoServer, address: string): string {
  const block = (id: string) => Number(/^solana_(\d+)_/.exec(id)![1]);
  return [...expectedIds(s, address)].reduce((a, b) => (block(b) > block(a) ? b : a));
}

/** With HOSTILE_REPORT=<file>, each scenario appends its figures there as one JSON line (for the table). */
function report(scenario: string, s: Scenario, addresses: readonly string[]): void {
  const file = process.env.HOSTILE_REPORT;
  if (!file) return;
  for (const address of addresses) {
    const poolId = s.server.poolId(address);
    const r = s.server.record(address);
    const rejected = s.summary?.rejectedByPool.find((p) => p.pool === poolId)?.rejected ?? 0;
    const reasons = logLines(s.stderr)
      .filter((l) => l.poolId === poolId && typeof l.reason === 'string')
      .map((l) => l.reason as string);
    fs.appendFileSync(
      file,
      `${JSON.stringify({
        scenario,
        pool: address,
        requests: r.requests,
        servedGood: r.good.size,
        servedBad: r.bad.size,
        stored: storedIds(s.db, poolId).size,
        rejected,
        reason: reasons[0] ?? null,
        cursor: cursorOf(s.db, poolId)?.timestamp ?? null,
        peakRssMb: s.peakRssMb,
        exit: s.code,
      })}\n`,
    );
  }
}

function minGapMs(times: readonly number[]): number {
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) gap = Math.min(gap, times[i]! - times[i - 1]!);
  return gap;
}

/** The fewest of `times` strictly between two consecutive `marks`: how often a pool was polled while another waited. */
function fewestBetween(times: readonly number[], marks: readonly number[]): number {
  let fewest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < marks.length; i++)
    fewest = Math.min(fewest, times.filter((t) => t > marks[i - 1]! && t < marks[i]!).length);
  return fewest;
}

function poolFigures(db: string): { pool: string; errors: number; rejected?: number; polls: number }[] {
  const file = JSON.parse(fs.readFileSync(`${db}.metrics.json`, 'utf8')) as {
    snapshot: { collection: { pools: { pool: string; errors: number; rejected?: number; polls: number }[] } };
  };
  return file.snapshot.collection.pools;
}

// The scenarios are independent (a server and a child each) and mostly wait on the child's start and its polls:
// they run side by side.
describe.concurrent('collect against a hostile API', () => {
  describe('one bad trade does not sink its page (20 variants)', () => {
    it('stores every good trade of every page, counts each bad one once with its reason, cursor on a stored trade', async () => {
      const pools: HostilePool[] = BAD_ROW_VARIANTS.map((variant, i) => ({
        address: `BadRow${String(i).padStart(2, '0')}`,
        script: { fault: 'bad-row', variant, every: 7 },
      }));
      pools.push({ address: 'GoodNeighbour', script: { fault: 'none' } });
      const enough = (server: HostileGeckoServer) =>
        pools.every((p) => {
          const r = server.record(p.address);
          return r.good.size > 20 && (p.script.fault !== 'bad-row' || r.bad.size > 2);
        });
      const s = await collect('bad-rows', pools, enough, ['--collectors', '2']);
      expect(s.code, s.stderr.slice(-3000)).toBe(0);
      const summary = s.summary!;
      expect(summary.outcome).toBe('collected');
      const byPool = new Map(summary.rejectedByPool.map((p) => [p.pool, p.rejected]));
      const logs = logLines(s.stderr).filter((l) => typeof l.reason === 'string' && l.poolId !== undefined);
      let totalRejected = 0;
      for (const p of pools) {
        const poolId = s.server.poolId(p.address);
        const record = s.server.record(p.address);
        const expected = expectedIds(s.server, p.address);
        expect(record.good.size, p.address).toBeGreaterThan(20);
        if (p.script.fault === 'bad-row') expect(record.bad.size, p.address).toBeGreaterThan(2);
        // Served vs stored, trade by trade.
        expect(storedIds(s.db, poolId), p.address).toEqual(expected);
        const refused = p.script.fault === 'bad-row' && !p.script.variant.accepted ? record.bad.size : 0;
        expect(byPool.get(poolId) ?? 0, p.address).toBe(refused);
        totalRejected += refused;
        // One log line per refused trade, naming the pool, the trade (when it has an id) and the reason.
        const poolLogs = logs.filter((l) => l.poolId === poolId);
        expect(poolLogs, p.address).toHaveLength(refused);
        if (refused > 0) {
          const ids = [...record.bad.values()].map((b) => b.id ?? null).sort();
          expect(poolLogs.map((l) => l.tradeId as string | null).sort(), p.address).toEqual(ids);
        }
        // The cursor stands on the newest stored trade.
        const cursor = cursorOf(s.db, poolId);
        expect(cursor?.id, p.address).toBe(newestExpected(s.server, p.address));
        expect(expected.has(cursor!.id)).toBe(true);
      }
      expect(summary.tradesRejected).toBe(totalRejected);
      expect(summary.rejected).toBe(0);
      // The metrics file (what doctor reads) has the same per-pool counts.
      const figures = poolFigures(s.db);
      for (const f of figures) expect(f.rejected ?? 0).toBe(byPool.get(f.pool) ?? 0);
      // doctor shows them from that file.
      const doctor = await cli(['doctor', '--db', s.db, '--quick']);
      expect(doctor.code, doctor.stderr).toBe(0);
      const line = /^rejected trades\s+(\d+) \(refused on arrival, not stored\)$/m.exec(doctor.stdout);
      expect(line?.[1], doctor.stdout).toBe(String(totalRejected));
      expect(doctor.stdout).toMatch(/^ {2}in pool\s+solana_BadRow00: \d+$/m);
      expect(doctor.stdout).toMatch(/^ {2}in pool\s+\.\.\. and \d+ more pools/m);
      // And the printed summary: the total, then the first pools one a line.
      const text = formatSummary(summary);
      expect(text).toMatch(new RegExp(`^ +rejected trades: +${totalRejected} \\(bad trades in responses`, 'm'));
      expect(text.match(/^ +in pool: +solana_BadRow\d\d: \d+$/gm)).toHaveLength(5);
      expect(text).toMatch(/^ +in pool: +\.\.\. and \d+ more pools \(--json lists them all\)$/m);
      report(
        'bad rows',
        s,
        pools.map((p) => p.address),
      );
    });
  });

  describe('bounded responses', () => {
    it('cuts a body that never ends at the size bound: RSS stays bounded, only that pool errs', async () => {
      const s = await collect(
        'endless',
        [
          { address: 'Endless', script: { fault: 'endless-body' } },
          { address: 'Neighbour', script: { fault: 'none' } },
        ],
        (server) => server.record('Endless').requests > 3 && server.record('Neighbour').completed > 0,
      );
      expect(s.code, s.stderr.slice(-3000)).toBe(0);
      expect(s.peakRssMb).toBeGreaterThan(30);
      expect(s.peakRssMb).toBeLessThan(300);
      const endless = s.server.record('Endless');
      expect(endless.requests).toBeGreaterThan(3);
      // Every request cut by the client (the one in flight at the stop may still be closing).
      expect(endless.completed).toBe(0);
      expect(endless.abandoned).toBeGreaterThanOrEqual(endless.requests - 1);
      // Each request was cut near the 4 MiB bound, not read to the end of anything.
      expect(endless.bytesWritten / endless.requests).toBeLessThan(16 * 1024 * 1024);
      expect(s.stderr).toContain('GECKO_RESPONSE_TOO_LARGE');
      const figures = new Map(poolFigures(s.db).map((f) => [f.pool, f]));
      // Each request an error of that pool (one cut by the stop is not an error of the API's).
      const endlessErrors = figures.get(s.server.poolId('Endless'))!.errors;
      expect(endlessErrors).toBeGreaterThanOrEqual(endless.requests - 1);
      expect(endlessErrors).toBeLessThanOrEqual(endless.requests);
      expect(figures.get(s.server.poolId('Neighbour'))!.errors).toBe(0);
      expect(storedIds(s.db, s.server.poolId('Neighbour'))).toEqual(expectedIds(s.server, 'Neighbour'));
      expect(storedIds(s.db, s.server.poolId('Endless')).size).toBe(0);
      expect(cursorOf(s.db, s.server.poolId('Endless'))).toBeUndefined();
      report('endless body', s, ['Endless', 'Neighbour']);
    });

    it('refuses a valid 50 MB body the same way; a raised --max-response-bytes takes it', async () => {
      const huge: HostilePool[] = [
        { address: 'Huge', script: { fault: 'huge-body', bytes: 50 * 1024 * 1024 } },
        { address: 'Neighbour', script: { fault: 'none' } },
      ];
      const s = await collect(
        'huge',
        huge,
        (server) => server.record('Huge').requests > 1 && server.record('Neighbour').completed > 0,
      );
      expect(s.code, s.stderr.slice(-3000)).toBe(0);
      expect(s.peakRssMb).toBeLessThan(300);
      expect(s.server.record('Huge').completed).toBe(0);
      expect(storedIds(s.db, s.server.poolId('Huge')).size).toBe(0);
      expect(storedIds(s.db, s.server.poolId('Neighbour'))).toEqual(expectedIds(s.server, 'Neighbour'));

      const raised = await collect('huge-raised', huge, (server) => server.record('Huge').completed > 0, [
        '--max-response-bytes',
        String(64 * 1024 * 1024),
      ]);
      expect(raised.code, raised.stderr.slice(-3000)).toBe(0);
      expect(raised.server.record('Huge').completed).toBeGreaterThan(0);
      expect(storedIds(raised.db, raised.server.poolId('Huge'))).toEqual(expectedIds(raised.server, 'Huge'));
      report('50 MB body', s, ['Huge', 'Neighbour']);
      report('50 MB body, --max-response-bytes 64 MiB', raised, ['Huge']);
    });
  });

  describe('fair polling', () => {
    it('a pool whose body trickles for ever holds up none of its neighbours', async () => {
      const s = await collect(
        'trickle',
        [
          { address: 'Trickle', script: { fault: 'trickle-body', bytesPerChunk: 16, chunkIntervalMs: 100 } },
          { address: 'NeighbourA', script: { fault: 'none' } },
          { address: 'NeighbourB', script: { fault: 'none' } },
        ],
        (server) => server.record('Trickle').requests > 1,
        ['--request-timeout', '1.5'],
      );
      expect(s.code, s.stderr.slice(-3000)).toBe(0);
      const trickle = s.server.record('Trickle');
      // The whole-response deadline cut each attempt (headers came at once; the body never ended).
      expect(trickle.requests).toBeGreaterThan(1);
      expect(trickle.completed).toBe(0);
      expect(s.stderr).toContain('"outcome":"timeout"');
      for (const n of ['NeighbourA', 'NeighbourB']) {
        const r = s.server.record(n);
        // Polled on while each trickling request waited out its 1.5 s (six polls' worth): a collector held up by
        // the trickle would poll each neighbour once between two of its attempts.
        expect(fewestBetween(r.requestTimes, trickle.requestTimes), n).toBeGreaterThanOrEqual(2);
        expect(storedIds(s.db, s.server.poolId(n))).toEqual(expectedIds(s.server, n));
      }
      report('trickling body', s, ['Trickle', 'NeighbourA', 'NeighbourB']);
    });

    it('Retry-After 86400 is capped and logged, and holds off only the pool it concerns', async () => {
      const s = await collect(
        'retry-after',
        [
          { address: 'Throttled', script: { fault: 'throttle', retryAfter: '86400' } },
          { address: 'Neighbour', script: { fault: 'none' } },
        ],
        (server) => server.record('Throttled').requests > 2,
        ['--max-retry-after', '2'],
      );
      expect(s.code, s.stderr.slice(-3000)).toBe(0);
      const throttled = s.server.record('Throttled');
      // Asked again after a day's pause cut to the 2 s cap, each time: not sooner, and not never.
      expect(throttled.requests).toBeGreaterThan(2);
      expect(minGapMs(throttled.requestTimes)).toBeGreaterThanOrEqual(1900);
      // One clear line per throttle reply, saying what was asked and what is done.
      const capped = logLines(s.stderr).filter((l) =>
        /Retry-After 86400 s, longer than the 2 s cap/.test(String(l.msg)),
      );
      expect(capped).toHaveLength(throttled.requests);
      const n = s.server.record('Neighbour');
      // Polled on while the throttled pool waited out its 2 s (eight polls' worth).
      expect(fewestBetween(n.requestTimes, throttled.requestTimes)).toBeGreaterThanOrEqual(2);
      expect(storedIds(s.db, s.server.poolId('Neighbour'))).toEqual(expectedIds(s.server, 'Neighbour'));
      expect(s.summary!.throttled).toBe(throttled.requests);
      report('429 Retry-After 86400', s, ['Throttled', 'Neighbour']);
    });
  });

  describe('refusals', () => {
    it('an HTML page is a malformed response of that pool only; HTML everywhere exits 3', async () => {
      const s = await collect(
        'html',
        [
          { address: 'Html', script: { fault: 'html' } },
          { address: 'Neighbour', script: { fault: 'none' } },
        ],
        (server) => server.record('Html').requests > 1 && server.record('Neighbour').completed > 0,
      );
      expect(s.code, s.stderr.slice(-3000)).toBe(0);
      expect(s.summary!.badResponses).toBe(s.server.record('Html').requests);
      expect(storedIds(s.db, s.server.poolId('Neighbour'))).toEqual(expectedIds(s.server, 'Neighbour'));
      const all = await collect('html-only', [{ address: 'Html', script: { fault: 'html' } }], 1.5);
      expect(all.code).toBe(3);
      expect(all.summary!.outcome).toBe('no-api-success');
      report('HTML', s, ['Html', 'Neighbour']);
      report('HTML only', all, ['Html']);
    });

    it('401 stops the run with exit 4 and a line saying which credentials', async () => {
      const s = await collect(
        'unauthorized',
        [
          { address: 'Neighbour', script: { fault: 'none' } },
          { address: 'Refused', script: { fault: 'status', status: 401 } },
        ],
        5,
      );
      expect(s.code).toBe(4);
      expect(s.stderr).toMatch(/the API refused the request without an API key \(HTTP 401 Unauthorized\)/);
      report('401', s, ['Refused', 'Neighbour']);
    });
  });

  /** Copies of one JSON item, comma-separated, filling about `bytes`. */
  function junk(item: string, bytes: number): string {
    return Array.from({ length: Math.floor(bytes / (item.length + 1)) }, () => item).join(',');
  }

  describe('a deeply nested page-mate', () => {
    it('stores the 300 good trades of every page and rejects the nested item once, with its reason', async () => {
      const depth = 20_000;
      const pools: HostilePool[] = [
        { address: 'DeepArray', script: { fault: 'extra-items', items: `${'['.repeat(depth)}${']'.repeat(depth)}` } },
        {
          address: 'DeepObject',
          script: { fault: 'extra-items', items: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` },
        },
      ];
      // 300 new trades per request: every page is a full 300-trade page, plus the nested item at its end.
      const s = await collect(
        'deep',
        pools,
        (server) => pools.every((p) => server.record(p.address).completed > 2),
        [],
        { newTradesPerRequest: 300 },
      );
      expect(s.code, s.stderr.slice(-3000)).toBe(0);
      const byPool = new Map(s.summary!.rejectedByPool.map((p) => [p.pool, p.rejected]));
      for (const p of pools) {
        const poolId = s.server.poolId(p.address);
        const record = s.server.record(p.address);
        expect(record.completed, p.address).toBeGreaterThan(1);
        expect(record.good.size, p.address).toBe(record.completed * 300);
        expect(storedIds(s.db, poolId), p.address).toEqual(new Set(record.good.keys()));
        // The same item on every page is one rejected trade, logged once with a bounded description.
        expect(byPool.get(poolId), p.address).toBe(1);
        const reasons = logLines(s.stderr)
          .filter((l) => l.poolId === poolId && typeof l.reason === 'string')
          .map((l) => l.reason as string);
        expect(reasons, p.address).toHaveLength(1);
        expect(reasons[0]!.length, p.address).toBeLessThan(200);
      }
      expect(s.summary!.badResponses).toBe(0);
    });
  });

  describe('a 4 MiB page of junk items', () => {
    // Each junk body is just under the 4 MiB response bound, so only the item bound can refuse it. With a reject
    // record per junk item this run peaked at 1.3-2.1 GB; refused before any item is built, it stays within ~100 MB
    // of the same run on good pools (~190 MB: four collector threads, the writer and the main thread, each collector
    // holding one 4 MiB body at a time). 400 MB is about twice that baseline and under a third of the old peak.
    const BOUND_MB = 400;
    const BODY = 4 * 1024 * 1024 - 400 * 1024;

    it.each([
      ['zeros', '0'],
      ['empty objects', '{}'],
    ])('refuses pages of %s as malformed: peak RSS stays bounded, the neighbour is stored', async (name, item) => {
      const items = junk(item, BODY);
      const pools: HostilePool[] = [0, 1, 2, 3].map((i) => ({
        address: `Junk${i}`,
        script: { fault: 'extra-items', items },
      }));
      pools.push({ address: 'Neighbour', script: { fault: 'none' } });
      // Until each junk pool has answered a few pages (each one a malformed response) and the neighbour one.
      const s = await collect(
        `junk-${name.replace(' ', '-')}`,
        pools,
        (server) =>
          [0, 1, 2, 3].every((i) => server.record(`Junk${i}`).completed >= 2) &&
          server.record('Neighbour').completed > 0,
        ['--collectors', '4'],
      );
      report(`junk page of ${name}`, s, ['Junk0', 'Neighbour']);
      // The run ended (the child exited after its SIGTERM): no timed assertion on how soon.
      expect(s.code, s.stderr.slice(-3000)).toBe(0);
      expect(s.peakRssMb, `peak RSS ${s.peakRssMb} MB`).toBeGreaterThan(30);
      expect(s.peakRssMb, `peak RSS ${s.peakRssMb} MB`).toBeLessThan(BOUND_MB);
      for (let i = 0; i < 4; i++) {
        const poolId = s.server.poolId(`Junk${i}`);
        expect(s.server.record(`Junk${i}`).completed, poolId).toBeGreaterThan(0);
        expect(storedIds(s.db, poolId).size, poolId).toBe(0);
      }
      // A malformed response of its pool, saying how many items it had.
      expect(s.summary!.badResponses).toBeGreaterThan(3);
      expect(s.summary!.tradesRejected).toBe(0);
      expect(s.stderr).toMatch(/data has \d{7} items, more than 1000/);
      const neighbour = s.server.record('Neighbour');
      expect(storedIds(s.db, s.server.poolId('Neighbour'))).toEqual(new Set(neighbour.good.keys()));
    });
  });

  describe('decimals whose exponent leaves the double range', () => {
    const setAttribute = (key: string, value: string) => (item: { attributes: Record<string, unknown> }) => {
      item.attributes[key] = value;
      return undefined;
    };
    const VARIANTS: [BadRowVariant, RegExp][] = [
      [
        { name: 'volume 1e400', apply: setAttribute('volume_in_usd', '1e400'), accepted: false },
        /^attributes\.volume_in_usd "1e400" \(string\) is too large for a double/,
      ],
      [
        {
          name: 'price 9e999',
          apply: (t) => {
            t.attributes.price_from_in_usd = '9e999';
            t.attributes.price_to_in_usd = '9e999';
          },
          accepted: false,
        },
        /^attributes\.price_(from|to)_in_usd "9e999" \(string\) is too large for a double/,
      ],
      [
        { name: 'amount 1e-999', apply: setAttribute('from_token_amount', '1e-999'), accepted: false },
        /^attributes\.from_token_amount "1e-999" \(string\) is not zero but too small for a double/,
      ],
      [
        { name: 'volume -1e400', apply: setAttribute('volume_in_usd', '-1e400'), accepted: false },
        /^attributes\.volume_in_usd is "-1e400" \(string\), expected a non-negative decimal/,
      ],
    ];

    it('rejects each with its reason and stores its page-mates: no Infinity or false 0 in the columns or candles', async () => {
      const pools: HostilePool[] = VARIANTS.map(([variant], i) => ({
        address: `Exponent${i}`,
        script: { fault: 'bad-row', variant, every: 4 },
      }));
      const s = await collect('exponents', pools, (server) =>
        pools.every((p) => server.record(p.address).bad.size > 2),
      );
      expect(s.code, s.stderr.slice(-3000)).toBe(0);
      const byPool = new Map(s.summary!.rejectedByPool.map((p) => [p.pool, p.rejected]));
      VARIANTS.forEach(([variant, reason], i) => {
        const poolId = s.server.poolId(`Exponent${i}`);
        const record = s.server.record(`Exponent${i}`);
        expect(record.bad.size, variant.name).toBeGreaterThan(2);
        expect(storedIds(s.db, poolId), variant.name).toEqual(new Set(record.good.keys()));
        expect(byPool.get(poolId), variant.name).toBe(record.bad.size);
        const reasons = logLines(s.stderr)
          .filter((l) => l.poolId === poolId && typeof l.reason === 'string')
          .map((l) => l.reason as string);
        expect(reasons, variant.name).toHaveLength(record.bad.size);
        for (const r of reasons) expect(r, variant.name).toMatch(reason);
      });
      const conn = new Database(s.db, { readonly: true });
      try {
        // No stored amount is Infinity (SQLite has no literal for it: 9e999 reads as Infinity) or 0.
        const odd = conn
          .prepare(
            `SELECT count(*) AS n FROM trades WHERE
             from_token_amount IN (0, 9e999) OR to_token_amount IN (0, 9e999) OR price_usd IN (0, 9e999)
             OR volume_usd IN (0, 9e999)`,
          )
          .get() as { n: number };
        expect(odd.n).toBe(0);
        const candles = conn.prepare('SELECT high, low, volume_usd FROM ohlcv_1m').all() as Record<string, number>[];
        expect(candles.length).toBeGreaterThan(0);
        for (const c of candles) for (const v of Object.values(c)) expect(Number.isFinite(v) && v > 0).toBe(true);
      } finally {
        conn.close();
      }
      // The exact candles of `ohlcv` count the stored trades only, with finite figures.
      const ohlcv = await cli(['ohlcv', '--db', s.db, '--timeframe', '1m', '--format', 'ndjson']);
      expect(ohlcv.code, ohlcv.stderr).toBe(0);
      const rows = ohlcv.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, string | number>);
      const stored = pools.reduce((n, p) => n + storedIds(s.db, s.server.poolId(p.address)).size, 0);
      expect(rows.reduce((n, r) => n + Number(r.trades), 0)).toBe(stored);
      for (const r of rows)
        for (const k of ['open', 'high', 'low', 'close', 'volume_usd'])
          expect(Number.isFinite(Number(r[k])) && Number(r[k]) > 0, `${k} ${r[k]}`).toBe(true);
    });
  });
});
