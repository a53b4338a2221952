// Which pools a run collects: --top N over several pages of top pools, and the metadata kept for the
// pools/dexes tables (a dex many pools share is stored once).
import { describe, expect, it } from 'vitest';
import type { GeckoTerminalClient } from '../../../src/gecko/gecko-client.ts';
import type { ParsedPools } from '../../../src/gecko/pool-parser.ts';
import { componentLogger } from '../../../src/logging/logger.ts';
import type { DexRecord, PoolRecord } from '../../../src/protocol/records.ts';
import { selectPools } from '../../../src/run/pool-selection.ts';

const dex = (id: string): DexRecord => ({ id, name: id, network: 'solana' });
const pool = (address: string, dexId: string): PoolRecord => ({
  id: `solana_${address}`,
  address,
  name: null,
  dexId,
  baseTokenId: null,
  quoteTokenId: null,
  reserveUsd: null,
  createdAt: null,
  discoverySource: 'top',
  metadataJson: null,
});

/** Pages of top pools as the API would serve them; only getTopPools is called for --top. */
function clientServing(pages: ParsedPools[]): { client: GeckoTerminalClient; pagesAsked: number[] } {
  const pagesAsked: number[] = [];
  const client = {
    async getTopPools(_network: string, { page }: { page: number }): Promise<ParsedPools> {
      pagesAsked.push(page);
      return pages[page - 1] ?? { pools: [], dexes: [] };
    },
  } as unknown as GeckoTerminalClient;
  return { client, pagesAsked };
}

describe('selectPools --top', () => {
  const log = componentLogger('test');

  it('reads pages until it has N pools and keeps each dex once', async () => {
    const { client, pagesAsked } = clientServing([
      { pools: [pool('A1', 'raydium'), pool('A2', 'orca')], dexes: [dex('raydium'), dex('orca')] },
      { pools: [pool('B1', 'raydium'), pool('B2', 'meteora')], dexes: [dex('raydium'), dex('meteora')] },
      { pools: [pool('C1', 'pump')], dexes: [dex('pump')] },
    ]);
    const { addresses, metadata } = await selectPools({ top: 3 }, client, 'solana', undefined, log);
    expect(addresses).toEqual(['A1', 'A2', 'B1']);
    expect(pagesAsked).toEqual([1, 2]);
    expect(metadata!.pools.map((p) => p.address)).toEqual(['A1', 'A2', 'B1']);
    expect(metadata!.dexes.map((d) => d.id)).toEqual(['raydium', 'orca', 'meteora']);
  });

  it('stops at the first empty page when the network has fewer pools than asked', async () => {
    const { client, pagesAsked } = clientServing([{ pools: [pool('A1', 'raydium')], dexes: [dex('raydium')] }]);
    const { addresses } = await selectPools({ top: 50 }, client, 'solana', undefined, log);
    expect(addresses).toEqual(['A1']);
    expect(pagesAsked).toEqual([1, 2]);
  });
});
