// `gecko-collector simulate` with a market: a skewed market with bursts, the paid API (range endpoint) and the
// keyless cache, as another process sees it over HTTP; the served file with the truth ledger; the flags' errors.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { skewedPoolRates } from '../../../src/sim/sim-market.ts';
import type { SimServedReport } from '../../../src/sim/sim-report.ts';
import type { SimTruthReport } from '../../../src/sim/sim-truth.ts';
import { cli } from '../../support/collect-run.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const KEY = 'simulated-key';

function truthBusiest(report: SimServedReport): string {
  return report.truth!.pools.find((p) => p.tradesPerSecond === 60)!.pool;
}

describe('simulate --market skewed --bursts --api-key --cache-seconds', () => {
  it('serves the market over HTTP and writes what its pools made beside what it served', async () => {
    const servedFile = path.join(tempDir(), 'served.json');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'simulate',
        ...['--port', '0', '--pools', '24', '--seed', '3', '--market', 'skewed', '--bursts', '--burst-every', '10'],
        ...['--api-key', KEY, '--cache-seconds', '30', '--range-page-size', '20', '--duration', '600'],
        ...['--served-file', servedFile],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until(() => /pools: \S+\n/.test(out), 30_000, 'the simulator to print its pools');
      const base = /simulator: (\S+)/.exec(out)![1]!;
      expect(base).toMatch(/\/api\/v3\/onchain$/);
      const pools = /pools: (\S+)/.exec(out)![1]!.split(',');
      const origin = new URL(base).origin;
      const auth = { 'x-cg-pro-api-key': KEY };

      const truth = (await (await fetch(`${origin}/__simulator/truth`)).json()) as SimTruthReport;
      expect(truth.pools.map((p) => p.pool)).toEqual(pools);
      expect(truth.pools.map((p) => p.tradesPerSecond)).toEqual(skewedPoolRates(24, 60, 0.05, 3));

      const busiest = truth.pools.find((p) => p.tradesPerSecond === 60)!.pool;
      const range = await fetch(
        `${base}/networks/solana/pools/${busiest}/trades/range?start_timestamp=${Math.floor(Date.now() / 1000) - 600}`,
        { headers: auth },
      );
      expect(range.status).toBe(200);
      expect(((await range.json()) as { data: unknown[] }).data).toHaveLength(20);
      const keyless = `${origin}/api/v2/networks/solana/pools/${busiest}/trades/range?start_timestamp=0`;
      expect((await fetch(keyless, { headers: auth })).status).toBe(401);
      const trades = `${base}/networks/solana/pools/${busiest}/trades`;
      const first = await (await fetch(trades, { headers: auth })).text();
      // 60 trades/s: a second later the pool has new trades, but the cache answers the same for 30 s.
      await new Promise((r) => setTimeout(r, 1100));
      const again = await fetch(trades, { headers: auth });
      expect(again.headers.get('age')).not.toBeNull();
      expect(await again.text()).toBe(first);
    } finally {
      child.kill('SIGINT');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const report = JSON.parse(fs.readFileSync(servedFile, 'utf8')) as SimServedReport;
    const made = Number(/made: (\d+) trades by 24 pools since the start/.exec(out)?.[1]);
    expect(report.truth!.made).toBe(made);
    expect(made).toBeGreaterThan(0);
    expect(report.truth!.made).toBe(report.truth!.pools.reduce((s, p) => s + p.made, 0));
    // Only the busiest pool was asked for trades.
    expect(report.distinctTradesServed).toBeGreaterThanOrEqual(300);
    expect(Object.entries(report.servedByPool!).filter(([, n]) => n > 0)).toEqual([
      [truthBusiest(report), report.distinctTradesServed],
    ]);
  });

  it('says what is wrong with a market flag, and collect takes them only with --simulate', async () => {
    for (const [args, problem] of [
      [['--min-trades-per-second', '1'], /--min-trades-per-second needs --market skewed/],
      [['--burst-every', '5'], /--burst-every needs --bursts/],
      [['--market', 'skewed', '--min-trades-per-second', '30'], /^gecko-collector simulate: --min-trades-per-second: /],
      [['--bursts', '--burst-every', '10', '--burst-seconds', '10'], /--burst-seconds/],
      [['--market', 'zipf'], /--market must be one of uniform, skewed/],
    ] as const) {
      const r = await cli(['simulate', '--port', '0', '--duration', '1', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(problem);
    }
    const collect = await cli(['collect', '--pools', 'X', '--market', 'skewed', '--db', path.join(tempDir(), 'x.db')]);
    expect(collect.code).toBe(2);
    expect(collect.stderr).toMatch(/--market needs --simulate/);
  });

  it('keeps the help of the new flags within 80 columns', async () => {
    const simulate = (await cli(['simulate', '--help'])).stdout;
    for (const line of simulate.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    const collect = (await cli(['collect', '--help'])).stdout.split('\n');
    const from = collect.findIndex((l) => l.startsWith('  --market'));
    const to = collect.findIndex((l) => l.startsWith('  --manager'));
    expect(to - from).toBeGreaterThan(6);
    for (const line of collect.slice(from, to)) expect(line.length, line).toBeLessThanOrEqual(80);
    for (const flag of ['--market', '--seed', '--bursts', '--cache-seconds'])
      expect(collect.some((l) => l.startsWith(`  ${flag} `))).toBe(true);
  });
});
