// The status page in a real browser: a simulated collect serves / on its metrics port (port 0: the real URL is
// printed), headless Chromium (Debian's, driven by playwright-core) opens it, and the page shows a row per pool of
// the run with its figures and a 24-bar chart, and the run's breaker and spool, refreshed from /status.json.
// GECKO_STATUS_SCREENSHOT=FILE also saves a screenshot of the page there.

import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../../src/monitoring/status-report.ts';
import { type CliProcess, spawnCli } from '../../support/cli-process.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { untilValue, within } from '../../support/until.ts';

const CHROMIUM = '/usr/bin/chromium';
const dir = tempDir('gecko-status-page-');
let collect: CliProcess;
let browser: Browser;
let pageUrl = '';

beforeAll(async () => {
  collect = spawnCli(
    ['collect', '--simulate', '--duration', '120', '--collectors', '2', '--metrics-port', '0', '--db', 'page.db'],
    dir,
  );
  pageUrl = await untilValue(
    () => /^status page: (http:\/\/\S+\/)$/m.exec(collect.out())?.[1],
    60_000,
    'the status page URL',
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (collect && collect.child.exitCode === null) {
    collect.child.kill('SIGINT');
    await within(collect.exited(), 60_000, 'collect to stop');
  }
});

describe('the status page', () => {
  it('renders the pools of a running simulated collect, with figures and a chart each', async () => {
    // What the page polls: the run's own pools, trades stored for each.
    const report = await untilValue(
      async () => {
        const r = (await (await fetch(`${pageUrl}status.json`)).json()) as StatusReport;
        return r.pools.length > 0 && r.pools.every((p) => p.lastTradeAt !== null) ? r : undefined;
      },
      60_000,
      'every pool with a stored trade',
    );
    expect(report.run?.breaker.state).toBe('CLOSED');
    const ids = report.pools.map((p) => p.pool);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(pageUrl);
    await page.waitForFunction(
      (n) => document.querySelectorAll('#pools tbody tr[data-pool]').length === n,
      ids.length,
      { timeout: 30_000 },
    );
    const rows = await page.$$eval('#pools tbody tr[data-pool]', (trs) =>
      trs.map((tr) => ({
        pool: tr.getAttribute('data-pool'),
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
        bars: tr.querySelectorAll('svg.chart rect').length,
        tall: [...tr.querySelectorAll('svg.chart rect')].filter((r) => Number(r.getAttribute('height')) > 0).length,
      })),
    );
    expect(rows.map((r) => r.pool)).toEqual(ids);
    for (const r of rows) {
      expect(r.cells[0], r.pool!).toContain(r.pool!);
      expect(r.cells[1], r.pool!).toMatch(/^\d+ s ago$/);
      expect(Number(r.cells[2]), r.pool!).toBeGreaterThan(0);
      expect(r.cells[5], r.pool!).toMatch(/^(\d+(\.\d)?%|–)$/);
      expect(r.bars).toBe(24);
      expect(r.tall).toBeGreaterThan(0);
    }
    const cards = await page.$eval('#run', (el) => el.textContent ?? '');
    expect(cards).toMatch(/breakerCLOSED/);
    expect(cards).toMatch(/spoolempty/);
    // It refreshes: the time it shows moves on.
    const first = await page.$eval('body', (b) => b.dataset.loaded ?? '');
    await page.waitForFunction((t) => document.body.dataset.loaded !== t, first, { timeout: 30_000 });
    const shot = process.env.GECKO_STATUS_SCREENSHOT;
    if (shot) await page.screenshot({ path: path.resolve(shot), fullPage: true });
    await page.close();
  });

  it('the server still answers /metrics beside it, and 404 for other paths', async () => {
    const metrics = await fetch(pageUrl.replace(/\/$/, '/metrics'));
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^gecko_/m);
    const other = await fetch(`${pageUrl}nothing`);
    expect(other.status).toBe(404);
    expect(await other.text()).toMatch(/\/status\.json/);
  });
});
