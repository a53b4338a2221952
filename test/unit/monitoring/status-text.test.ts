// `gecko-collector status` as text: every line within the width asked, what is not known as `–`, the run's head,
// and at no width limit every column, the day's sparkline included.
import { describe, expect, it } from 'vitest';
import type { PoolStatus, StatusReport } from '../../../src/monitoring/status-report.ts';
import { renderStatus, sparkline } from '../../../src/monitoring/status-text.ts';

const day = (last: number) => [...new Array<number>(23).fill(0), last];
const pool = (over: Partial<PoolStatus>): PoolStatus => ({
  pool: 'solana_7aQmmaebcg527swhrGQBfdJpzvVWsRFT2GgzRCMAapy1',
  name: 'MJVRT / SOL',
  lastTradeAt: '2026-12-07T17:39:57.000Z',
  lastTradeAgeS: 3,
  tradesPerMin: 240.5,
  pollIntervalS: 2,
  tradeRatePerS: 4.01,
  coverage: 0.9876,
  openGaps: 1,
  estimatedMissed: 37,
  hourly: day(9000),
  ...over,
});

const report: StatusReport = {
  at: '2026-12-07T17:40:00.000Z',
  engine: 'sqlite',
  database: '/var/lib/gecko/gecko_data.db',
  run: {
    startedAt: '2026-12-07T17:00:00.000Z',
    figuresAt: '2026-12-07T17:40:00.000Z',
    state: 'running',
    collectorsRunning: 1,
    breaker: { state: 'CLOSED', opens: 0, rejections: 0 },
    spool: { batches: 0, rows: 0, oldestAgeMs: null },
    writerBacklog: 2,
    alerts: [],
    budget: { neededPerMin: 37.6, budgetPerMin: 40 },
  },
  pools: [
    pool({}),
    pool({
      pool: 'solana_NTjg4pmda4MpyYPeitGmh1Hb6sJ1uWDbVWFVtutnVmYn',
      lastTradeAt: null,
      lastTradeAgeS: null,
      tradesPerMin: 0,
      pollIntervalS: null,
      tradeRatePerS: null,
      coverage: null,
      openGaps: 0,
      estimatedMissed: null,
      hourly: day(0),
    }),
  ],
};

describe('renderStatus', () => {
  it('fits 80 columns: the head, a row per pool, – for what is not known, and what was left out', () => {
    const lines = renderStatus(report, 80);
    for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80);
    expect(lines[0]).toBe('status  2026-12-07 17:40:00Z  sqlite /var/lib/gecko/gecko_data.db');
    expect(lines[1]).toBe('run     since 2026-12-07 17:00:00Z, 1 collector');
    expect(lines[2]).toBe('breaker CLOSED (0 opens, 0 rejections); spool empty; writer queue 2');
    expect(lines[3]).toBe('budget  38 of 40 calls/min needed');
    expect(lines).toContain('pools: 2');
    const rows = lines.filter((l) => l.startsWith('  solana_'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^ {2}solana_7a\S*…\S* +3\.0 s ago +240\.5 +2\.0 s +4\.01 +98\.7% +1/);
    expect(rows[1]).toMatch(/ – +0 +– +– +– +0/);
    expect(lines.at(-1)).toMatch(/^ {2}\(last 24 h.* left out to fit: --wide shows all\)$/);
  });

  it('with no width: every column, the full pool id and the sparkline', () => {
    const lines = renderStatus(report, undefined);
    expect(lines.some((l) => l.includes('solana_7aQmmaebcg527swhrGQBfdJpzvVWsRFT2GgzRCMAapy1'))).toBe(true);
    expect(lines.find((l) => l.includes('pool ') && l.includes('last 24 h'))).toBeDefined();
    expect(lines.some((l) => l.endsWith('█'))).toBe(true);
    expect(lines.some((l) => l.includes('left out'))).toBe(false);
  });

  it('says when no run serves the database, and when there are no pools', () => {
    const lines = renderStatus({ ...report, run: null, pools: [] }, 80);
    expect(lines[1]).toMatch(/^run {5}none serving this database/);
    expect(lines).toContain('pools: none with a cursor yet');
  });
});

describe('sparkline', () => {
  it('scales to the busiest hour; an hour without trades is blank', () => {
    expect(sparkline([0, 1, 4, 8])).toBe(' ▁▄█');
    expect(sparkline([0, 0])).toBe('  ');
  });
});
