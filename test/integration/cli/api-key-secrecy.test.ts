// A run with an API key against the paid API's simulator (which answers 401 to a missing or wrong key): it
// collects, and the key is nowhere else — not in stdout, stderr (logs at trace), /metrics, /healthz, the files
// beside the database, `doctor`, or `config --print`.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const KEY = 'CG-sEcReT-kEy-4f9c2a71b3';
const dir = tempDir('gecko-key-');
let paid: GeckoSimulator;
const seenKeys = new Set<string>();
beforeAll(async () => {
  paid = await startGeckoSimulator({
    seed: 11,
    pools: 3,
    tradesPerSecond: 2,
    historySeconds: 60,
    apiKey: KEY,
    onRequest: (r) => seenKeys.add(String(r.headers['x-cg-pro-api-key'])),
  });
});
afterAll(() => paid.close());

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, GECKO_API_KEY: KEY };
  delete e.VITEST;
  return e;
};

describe('the API key', () => {
  it('is sent to the API and appears in no output, log, endpoint or file', async () => {
    const db = path.join(dir, 'paid.db');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'collect',
        '--base-url',
        paid.baseUrl,
        '--pools',
        paid.pools.map((p) => p.address).join(','),
        '--duration',
        '2',
        '--poll-interval',
        '0.3',
        '--calls-per-minute',
        '6000',
        '--metrics-port',
        '0',
        '--log-level',
        'trace',
        '--json',
        '--db',
        db,
      ],
      { env: env(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    const served: string[] = [];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const scraped = new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const url = /^metrics: (\S+)$/m.exec(stderr)?.[1];
        if (url && served.length === 0) {
          served.push('pending');
          void Promise.all([fetch(url), fetch(url.replace(/\/metrics$/, '/healthz'))])
            .then((rs) => Promise.all(rs.map((r) => r.text())))
            .then((bodies) => served.splice(0, 1, ...bodies))
            .finally(resolve);
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    await scraped;
    expect(code, stderr.slice(-2000)).toBe(0);
    const summary = JSON.parse(stdout) as { stored: number; paidApi: boolean; outcome: string };
    expect(summary).toMatchObject({ outcome: 'collected', paidApi: true });
    expect(summary.stored).toBeGreaterThan(0);
    // The key went to the API in its header, and only the right one.
    expect([...seenKeys]).toEqual([KEY]);
    expect(paid.stats().unauthorized).toBe(0);
    expect(served.length).toBe(2);
    expect(served[0]).toContain('gecko_api_requests_total');

    const { stdout: doctor } = await promisify(execFile)(process.execPath, [BIN, 'doctor', '--db', db, '--json'], {
      env: env(),
    });
    const { stdout: printed } = await promisify(execFile)(process.execPath, [BIN, 'config', '--print'], { env: env() });
    expect(printed).toMatch(/^api-key\s+\*+ \(set, hidden\)\s+GECKO_API_KEY$/m);
    const files = fs.readdirSync(dir).map((f) => path.join(dir, f));
    expect(files).toContain(`${db}.metrics.json`);
    const outputs: [string, string][] = [
      ['stdout', stdout],
      ['stderr', stderr],
      ['/metrics', served[0]!],
      ['/healthz', served[1]!],
      ['doctor', doctor],
      ['config --print', printed],
      ...files.map((f): [string, string] => [f, fs.readFileSync(f).toString('latin1')]),
    ];
    for (const [where, text] of outputs) expect(text.includes(KEY), where).toBe(false);
    // The logs were there to look at: every thread's, at trace.
    for (const component of ['collection', 'collector', 'writer', 'db-manager'])
      expect(stderr).toContain(`"component":"${component}"`);
  });
});
