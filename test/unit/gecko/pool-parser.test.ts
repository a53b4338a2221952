import { describe, expect, it } from 'vitest';
import { GeckoTerminalError } from '../../../src/gecko/gecko-errors.ts';
import { parsePoolsBody } from '../../../src/gecko/pool-parser.ts';
import { readGeckoFixture } from '../../support/gecko-fixtures.ts';

const raw = readGeckoFixture('new_pools_solana.json');

interface RawPool {
  id: string;
  attributes: Record<string, unknown>;
  relationships: Record<string, { data: { id: string } } | undefined>;
}
interface RawDoc {
  data: RawPool[];
  included: Array<{ id: string; type: string; attributes: Record<string, unknown> }>;
}

describe('parsePoolsBody on the real new_pools fixture', () => {
  const doc = JSON.parse(raw) as RawDoc;
  const { pools, dexes } = parsePoolsBody(raw, { network: 'solana', discoverySource: 'new_pools' });

  it('reads all 20 pools with network-prefixed ids and relationship ids', () => {
    expect(pools).toHaveLength(20);
    pools.forEach((pool, i) => {
      const src = doc.data[i]!;
      expect(pool.id).toBe(`solana_${src.attributes.address as string}`);
      expect(pool.id).toBe(src.id);
      expect(pool.address).toBe(src.attributes.address);
      expect(pool.name).toBe(src.attributes.name);
      expect(pool.dexId).toBe(src.relationships.dex!.data.id);
      expect(pool.baseTokenId).toBe(src.relationships.base_token!.data.id);
      expect(pool.quoteTokenId).toBe(src.relationships.quote_token!.data.id);
      expect(pool.reserveUsd).toBe(src.attributes.reserve_in_usd);
      expect(pool.createdAt).toBe(src.attributes.pool_created_at);
      expect(pool.discoverySource).toBe('new_pools');
    });
  });

  it('keeps the extra fields in metadataJson with the included token details', () => {
    const first = doc.data[0]!;
    const meta = JSON.parse(pools[0]!.metadataJson!) as {
      baseToken: { id: string; symbol: string; decimals: number };
      quoteToken: { symbol: string };
      baseTokenPriceUsd: string;
      volumeUsd: Record<string, string>;
    };
    const baseToken = doc.included.find((x) => x.id === first.relationships.base_token!.data.id)!;
    expect(meta.baseToken.symbol).toBe(baseToken.attributes.symbol);
    expect(meta.baseToken.decimals).toBe(baseToken.attributes.decimals);
    expect(meta.quoteToken.symbol).toBe('SOL');
    expect(meta.baseTokenPriceUsd).toBe(first.attributes.base_token_price_usd);
    expect(meta.volumeUsd).toEqual(first.attributes.volume_usd);
  });

  it('lists each referenced dex once, named from included', () => {
    const referenced = new Set(doc.data.map((p) => p.relationships.dex!.data.id));
    expect(dexes.map((d) => d.id).sort()).toEqual([...referenced].sort());
    const pump = dexes.find((d) => d.id === 'pump-fun');
    expect(pump).toEqual({ id: 'pump-fun', name: 'Pump.fun', network: 'solana' });
  });

  it('treats a "NaN" reserve as unknown and falls back to the dex id when the dex is not included', () => {
    const copy = JSON.parse(raw) as RawDoc;
    copy.data[0]!.attributes.reserve_in_usd = 'NaN';
    copy.included = copy.included.filter((x) => x.type !== 'dex');
    const parsed = parsePoolsBody(JSON.stringify(copy), { network: 'solana' });
    expect(parsed.pools[0]!.reserveUsd).toBeNull();
    expect(parsed.pools[0]!.discoverySource).toBeNull();
    expect(parsed.dexes.find((d) => d.id === 'pump-fun')!.name).toBe('pump-fun');
  });

  it.each<[string, (d: RawDoc) => unknown, string, RegExp]>([
    ['data not an array', () => ({ data: 'x' }), 'data', /must be an array/],
    [
      'a pool without a dex relationship',
      (d) => void delete d.data[2]!.relationships.dex,
      'data[2].relationships.dex',
      /is missing/,
    ],
    [
      'a pool without an address',
      (d) => void delete d.data[4]!.attributes.address,
      'data[4].attributes.address',
      /is missing/,
    ],
    [
      'a reserve that is a number',
      (d) => {
        d.data[1]!.attributes.reserve_in_usd = 12.5;
      },
      'data[1].attributes.reserve_in_usd',
      /decimal string/,
    ],
  ])('refuses %s, naming the field', (_name, mutate, path, problem) => {
    const copy = JSON.parse(raw) as RawDoc;
    const replaced = mutate(copy);
    const body = JSON.stringify(replaced === undefined ? copy : replaced);
    let caught: unknown;
    try {
      parsePoolsBody(body, { network: 'solana' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GeckoTerminalError);
    expect((caught as GeckoTerminalError).path).toBe(path);
    expect((caught as Error).message).toContain('pools of network solana');
    expect((caught as Error).message).toMatch(problem);
  });
});
