// The Python collector's watchlist.csv as a pool list: active rows of the run's network (prefix stripped),
// inactive rows and other networks skipped and counted, quoted fields spanning lines, and errors with lines.
import { describe, expect, it } from 'vitest';
import { SettingError } from '../../../src/config/setting-error.ts';
import { describeWatchlist, looksLikeWatchlistCsv, parseWatchlistCsv } from '../../../src/run/watchlist.ts';

const CSV = `id,pool_id,token_symbol,token_name,network_address,is_active,created_at,updated_at,metadata_json
1,solana_PoolA,SOL,"Wrapped, SOL",So111,1,2025-08-01 00:00:00,,
2,solana_PoolB,BONK,Bonk,DezX,0,2025-08-01 00:00:00,,
3,PoolC,WIF,"dog
wif hat",EKpQ,True,,,"{""tags"": [""meme""]}"
4,eth_0xPoolD,PEPE,Pepe,0x69,1,,,
5,polygon_pos_0xPoolE,X,X,0x1,false,,,
6,solana_PoolA,SOL,again,So111,1,,,
`;

describe('watchlist.csv', () => {
  it('keeps the active pools of the network and counts what it skipped', () => {
    expect(looksLikeWatchlistCsv(CSV)).toBe(true);
    expect(looksLikeWatchlistCsv('# pools\nPoolA\nPoolB\n')).toBe(false);
    const w = parseWatchlistCsv(CSV, 'solana', 'watchlist.csv');
    expect(w).toEqual({ addresses: ['PoolA', 'PoolC'], inactive: 2, otherNetworks: { eth: 1 } });
    expect(describeWatchlist(w)).toBe('2 active pools; 2 inactive rows skipped; 1 pool of eth skipped');
    // A pool id without a network prefix is taken as a pool of the run's network.
    expect(parseWatchlistCsv(CSV, 'eth', 'watchlist.csv').addresses).toEqual(['PoolC', '0xPoolD']);
  });

  it('says which line is wrong', () => {
    const bad = (text: string) => () => parseWatchlistCsv(text, 'solana', 'w.csv');
    expect(bad('pool_id,is_active\nsolana_A,maybe\n')).toThrow(
      new SettingError('w.csv: line 2: is_active must be 1/0 or true/false, got "maybe"'),
    );
    expect(bad('pool_id,is_active\n,1\n')).toThrow(/w\.csv: line 2: pool_id is empty/);
    expect(bad('pool_id,token_name\nsolana_A,"open\n')).toThrow(/w\.csv: line 2: a quoted field is never closed/);
  });
});
