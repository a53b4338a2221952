// A page with more rejected trades than it keeps reasons for: the poller logs the detailed ones once each and the
// rest in one line, and counts the rest by how many more there are than on the pool's last page.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PoolPoller } from '../../../src/collector/pool-poller.ts';
import { MAX_REJECT_DETAILS, parseTradesPage } from '../../../src/gecko/trade-parser.ts';
import { readGeckoFixture } from '../../support/gecko-fixtures.ts';

const POOL = '4w2cysotX6czaUGmmWg13hDpY4QEMG2CzeKYEQyK9Ama';
const ctx = { network: 'solana', poolAddress: POOL };
const good = (JSON.parse(readGeckoFixture('trades_solana_sol-pump.json')) as { data: unknown[] }).data;

/** The fixture's 300 trades, then `bad` items with ids and no attributes (each rejected). */
function body(bad: number): string {
  const items = Array.from({ length: bad }, (_, k) => ({ id: `solana_bad_${k}`, type: 'trade' }));
  return JSON.stringify({ data: [...good, ...items] });
}

describe('PoolPoller and a page of many rejected trades', () => {
  it('logs the first ones each once, the rest in one line, and counts every rejected trade once', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const counts = new Map<string, number>();
    let next = '';
    const poller = new PoolPoller({
      client: { getPoolTradesPage: async () => parseTradesPage(next, ctx) },
      network: 'solana',
      pools: [{ address: POOL, poolId: `solana_${POOL}`, cursor: null, recentIds: [] }],
      pollIntervalMs: 0,
      trades: { submitTrades: () => ({ accepted: Promise.resolve(), done: Promise.resolve() }) },
      state: { writeState: async () => undefined },
      counters: { add: (name, n = 1) => void counts.set(name, (counts.get(name) ?? 0) + n) },
      logger,
    });
    const poll = async (bad: number) => {
      next = body(bad);
      const r = await poller.pollOnce(POOL);
      await r.committed;
      return r;
    };

    const first = await poll(50);
    expect(first.rejected).toBe(50);
    expect(counts.get('tradesRejected')).toBe(50);
    const detailed = lines.filter((l) => typeof l.reason === 'string');
    expect(detailed).toHaveLength(MAX_REJECT_DETAILS);
    const summary = lines.filter((l) => l.undetailed !== undefined);
    expect(summary).toMatchObject([{ rejected: 50, undetailed: 30 }]);

    // The same page again: nothing new.
    await poll(50);
    expect(counts.get('tradesRejected')).toBe(50);
    expect(lines).toHaveLength(MAX_REJECT_DETAILS + 1);
    // Ten more: counted, in one more line.
    await poll(60);
    expect(counts.get('tradesRejected')).toBe(60);
    expect(lines).toHaveLength(MAX_REJECT_DETAILS + 2);
    // A clean page, then the 50 again: the undetailed 30 are counted again (they have no keys), the 20 are known.
    await poll(0);
    await poll(50);
    expect(counts.get('tradesRejected')).toBe(90);
  });
});
