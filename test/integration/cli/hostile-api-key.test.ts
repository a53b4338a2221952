// The API key against a hostile API (test/support/hostile-gecko-server.ts), `collect` run as a child process with
// GECKO_API_KEY: redirects to a second origin that records the headers it gets (HTTP and, from HTTPS, a downgrade
// to HTTP), on the trades and the pools endpoints; and an API that echoes the request's headers back in a 4xx
// body, in a non-JSON 200 body, in trades' field values and in pool names. The key must reach no other origin and
// no log line, summary, error or file, and the other origin's trades must not be stored.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SECRET_MASK } from '../../../src/gecko/secret-scrubber.ts';
import type { CollectionSummary } from '../../../src/run/run-summary.ts';
import { logLines, runCollectChild } from '../../support/collect-child.ts';
import { type HostileGeckoServer, type HostilePool, hostileServers } from '../../support/hostile-gecko-server.ts';
import { LOCAL_TLS_CERT, LOCAL_TLS_KEY, tlsCertFile } from '../../support/local-tls.ts';
import { tempDir } from '../../support/temp-dir.ts';

// '+' and '/' make its URL-encoded form differ from it; both halves are looked for, so a cut excerpt counts too.
const KEY = 'CG-h0stileK3y+2024/abcdefXYZ';
const KEY_PARTS = ['h0stileK3y', 'abcdefXYZ'];
const dir = tempDir('gecko-hostile-key-');
const server = hostileServers();

interface KeyedRun {
  db: string;
  code: number | null;
  stdout: string;
  stderr: string;
  summary: CollectionSummary | undefined;
}

async function collectWithKey(
  name: string,
  api: HostileGeckoServer,
  pools: readonly HostilePool[],
  env: NodeJS.ProcessEnv = {},
): Promise<KeyedRun> {
  const db = path.join(dir, `${name}.db`);
  const run = await runCollectChild(
    [
      ...['--base-url', api.baseUrl, '--pools', pools.map((p) => p.address).join(',')],
      ...['--duration', '60', '--poll-interval', '0.25', '--calls-per-minute', '6000', '--collectors', '1'],
      ...['--preset', 'development', '--log-level', 'debug', '--log-format', 'json', '--json', '--db', db],
    ],
    50,
    // Stopped (cleanly) once every pool has been asked a few times and each answer of this origin was written,
    // however slow the machine: the assertions count polls, not seconds.
    { env: { GECKO_API_KEY: KEY, ...env }, stopWhen: () => pools.every((p) => polledEnough(api, p)) },
  );
  let summary: CollectionSummary | undefined;
  try {
    summary = JSON.parse(run.stdout) as CollectionSummary;
  } catch {
    summary = undefined;
  }
  return { db, code: run.code, stdout: run.stdout, stderr: run.stderr, summary };
}

/** A pool asked at least 4 times, with 3 answers written to the end unless it sends the client elsewhere. */
function polledEnough(api: HostileGeckoServer, pool: HostilePool): boolean {
  const r = api.record(pool.address);
  const elsewhere = pool.script.fault === 'redirect' && pool.script.to !== undefined;
  return r.requests >= 4 && (elsewhere || r.completed >= 3);
}

/** What of the key a text shows: [] when none of it. */
function keyParts(text: string): string[] {
  return KEY_PARTS.filter((part) => text.toLowerCase().includes(part.toLowerCase()));
}

/** The run's outputs and every file beside its database (SQLite pages, WAL, spool, metrics file), by name. */
function everything(run: KeyedRun): [string, string][] {
  const base = path.basename(run.db);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(base));
  expect(files).toContain(base);
  return [
    ['stdout', run.stdout],
    ['stderr', run.stderr],
    ...files.map((f): [string, string] => [f, fs.readFileSync(path.join(dir, f)).toString('latin1')]),
  ];
}

function expectNoKey(run: KeyedRun): void {
  for (const [where, text] of everything(run)) expect(keyParts(text), where).toEqual([]);
}

function query<T>(db: string, sql: string, ...params: unknown[]): T[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).all(...params) as T[];
  } finally {
    conn.close();
  }
}

function storedIds(db: string, poolId: string): Set<string> {
  return new Set(query<{ id: string }>(db, 'SELECT id FROM trades WHERE pool_id = ?', poolId).map((r) => r.id));
}

/** What a correct collector stores of a pool: the good trades served, and the broken ones the row checks take. */
function expectedIds(s: HostileGeckoServer, address: string): Set<string> {
  const r = s.record(address);
  const ids = new Set(r.good.keys());
  for (const b of r.bad.values()) if (b.accepted && b.id !== undefined) ids.add(b.id);
  return ids;
}

function keyedRequests(s: HostileGeckoServer): string[] {
  return s.requests.filter((r) => r.headers['x-cg-pro-api-key'] !== undefined).map((r) => r.path);
}

const REDIRECTS = [301, 302, 307, 308];

describe('redirects: the key goes only to the configured origin', () => {
  it('301/302/307/308 to another origin (trades and pools) are refused with the status and origin; a same-origin hop is followed and counted', async () => {
    const addresses = REDIRECTS.map((status) => `Moved${status}`);
    // The other origin would serve good trades for the same pools: followed, they would be stored under them.
    const other = await server({ pools: addresses.map((address) => ({ address, script: { fault: 'none' } })) });
    const pools: HostilePool[] = [
      ...REDIRECTS.map((status, i) => ({
        address: addresses[i]!,
        script: { fault: 'redirect', status, to: other.baseUrl } as const,
      })),
      { address: 'Hop307', script: { fault: 'redirect', status: 307 } },
      { address: 'Neighbour', script: { fault: 'none' } },
    ];
    const api = await server({ pools, poolsScript: { fault: 'redirect', status: 301, to: other.baseUrl } });
    const run = await collectWithKey('redirects', api, pools);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    // The API got the key; the other origin got nothing at all (so not the key either).
    expect(keyedRequests(api).length).toBeGreaterThan(10);
    expect(keyedRequests(other)).toEqual([]);
    expect(other.requests).toEqual([]);
    for (const address of addresses) expect(storedIds(run.db, api.poolId(address)).size, address).toBe(0);
    // A hop within the origin is followed (the paid API on one host keeps working), and its trades are stored.
    const hop = api.record('Hop307');
    expect(hop.completed).toBeGreaterThan(2);
    expect(storedIds(run.db, api.poolId('Hop307'))).toEqual(expectedIds(api, 'Hop307'));
    expect(storedIds(run.db, api.poolId('Neighbour'))).toEqual(expectedIds(api, 'Neighbour'));
    // Every hop is a request of its own, counted (and paced by the limiter) like any other.
    expect(run.summary!.requests).toBeGreaterThanOrEqual(api.requests.length);
    // Each refusal says which status, to which origin; the pools endpoint's refusal too.
    const refusals = logLines(run.stderr).map((l) => JSON.stringify(l));
    for (const status of REDIRECTS) {
      const line = refusals.find((l) => l.includes(`HTTP ${status}`) && l.includes(api.poolId(`Moved${status}`)));
      expect(line, `refusal of ${status}`).toContain(other.origin);
    }
    expect(refusals.some((l) => l.includes('pool metadata not fetched') && l.includes(other.origin))).toBe(true);
    expectNoKey(run);
  });

  it('an HTTPS API redirecting to HTTP (another origin) is refused: the key never travels in clear', async () => {
    const plain = await server({ pools: [{ address: 'Down301', script: { fault: 'none' } }] });
    const pools: HostilePool[] = [
      { address: 'Down301', script: { fault: 'redirect', status: 301, to: plain.baseUrl } },
      { address: 'Down308', script: { fault: 'redirect', status: 308, to: plain.baseUrl } },
      { address: 'Neighbour', script: { fault: 'none' } },
    ];
    const api = await server({
      pools,
      tls: { key: LOCAL_TLS_KEY, cert: LOCAL_TLS_CERT },
      poolsScript: { fault: 'redirect', status: 307, to: plain.baseUrl },
    });
    expect(api.baseUrl).toMatch(/^https:/);
    const run = await collectWithKey('downgrade', api, pools, { NODE_EXTRA_CA_CERTS: tlsCertFile(dir) });
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    // TLS worked (the neighbour's trades came over it) and nothing, key or not, went to the HTTP origin.
    expect(storedIds(run.db, api.poolId('Neighbour'))).toEqual(expectedIds(api, 'Neighbour'));
    expect(api.record('Down301').requests).toBeGreaterThan(2);
    expect(plain.requests).toEqual([]);
    expect(storedIds(run.db, api.poolId('Down301')).size).toBe(0);
    expectNoKey(run);
  });
});

describe('server text is scrubbed of the key', () => {
  it('echoed in a 4xx body, a non-JSON 200 body, trade fields and pool names: in no log line, summary or stored row', async () => {
    const pools: HostilePool[] = [
      { address: 'Echo400', script: { fault: 'echo-headers', status: 400 } },
      { address: 'EchoText', script: { fault: 'echo-headers-text' } },
      { address: 'EchoTrade', script: { fault: 'echo-key-in-trade', every: 5 } },
      { address: 'Neighbour', script: { fault: 'none' } },
    ];
    const api = await server({ pools, poolsScript: { fault: 'echo-key-in-pool' } });
    const run = await collectWithKey('echo', api, pools);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(keyedRequests(api).length).toBeGreaterThan(10);
    const lines = logLines(run.stderr).map((l) => JSON.stringify(l));
    // Each echo reached the collector and was reported, the key masked where it stood.
    const about = (address: string) => lines.filter((l) => l.includes(api.poolId(address)));
    expect(about('Echo400').some((l) => l.includes('HTTP 400') && l.includes(SECRET_MASK))).toBe(true);
    expect(about('EchoText').some((l) => l.includes('is not JSON') && l.includes(SECRET_MASK))).toBe(true);
    const reasons = logLines(run.stderr).filter((l) => l.poolId === api.poolId('EchoTrade') && l.reason);
    expect(reasons.length).toBeGreaterThan(1);
    for (const r of reasons) expect(String(r.reason)).toContain(SECRET_MASK);
    // Trades whose fields carried the key are stored with the mask in its place (literal and URL-encoded).
    const echoTrade = api.poolId('EchoTrade');
    expect(storedIds(run.db, echoTrade)).toEqual(expectedIds(api, 'EchoTrade'));
    const masked = query<{ tx_hash: string | null; tx_from_address: string | null }>(
      run.db,
      'SELECT tx_hash, tx_from_address FROM trades WHERE pool_id = ? AND (tx_hash LIKE ? OR tx_from_address LIKE ?)',
      echoTrade,
      `%${SECRET_MASK}%`,
      `%${SECRET_MASK}%`,
    );
    expect(masked.some((r) => r.tx_hash === SECRET_MASK)).toBe(true);
    expect(masked.some((r) => r.tx_from_address === SECRET_MASK)).toBe(true);
    // The pools' metadata was stored, named with the mask.
    const names = query<{ name: string }>(run.db, 'SELECT name FROM pools WHERE id = ?', api.poolId('Neighbour'));
    expect(names).toEqual([{ name: `echo ${SECRET_MASK}` }]);
    expectNoKey(run);
  });

  it('echoed in the 4xx of the first request (--top): the one-line error at start shows the mask, not the key', async () => {
    const api = await server({
      pools: [{ address: 'Unused', script: { fault: 'none' } }],
      poolsScript: { fault: 'echo-headers', status: 400 },
    });
    const db = path.join(dir, 'echo-top.db');
    const run = await runCollectChild(
      ['--base-url', api.baseUrl, '--top', '3', '--duration', '2', '--log-level', 'debug', '--log-format', 'json'],
      50,
      { env: { GECKO_API_KEY: KEY, GECKO_DB_URL: `sqlite:///${db}` } },
    );
    expect(run.code, run.stderr).toBe(3);
    expect(keyedRequests(api)).toHaveLength(1);
    const last = run.stderr.trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^gecko-collector collect: GeckoTerminal answered HTTP 400 \(/);
    expect(last).toContain(SECRET_MASK);
    expectNoKey({ db, code: run.code, stdout: run.stdout, stderr: run.stderr, summary: undefined });
  });
});
