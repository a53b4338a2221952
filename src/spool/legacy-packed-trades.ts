// Spools written by earlier versions may hold trades packed into one string (`packedTrades`: the fields of every
// row joined by \x1f, `createdAt` beside them). Such a batch is read back as trade objects, so it replays like any
// other; a row that does not come out whole is rejected by the writer with its reason, never dropped here.

import type { TradeRecord } from '../protocol/records.ts';

/** The spooled form of a packed batch, as earlier versions stored it. */
export interface LegacyPackedTrades {
  count: number;
  data: string;
  createdAt?: string;
}

const FIELD = '\x1f';
const FIELDS = 11;

const orNull = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

/** The trades of a packed batch, as objects, in order. */
export function unpackLegacyTrades(p: LegacyPackedTrades): TradeRecord[] {
  const v = p.data === '' ? [] : p.data.split(FIELD);
  const created = p.createdAt?.split(FIELD);
  const trades: TradeRecord[] = [];
  for (let at = 0, i = 0; at < v.length; at += FIELDS, i++) {
    const bn = v[at + 2];
    const t = {
      id: v[at],
      poolId: v[at + 1],
      blockNumber: bn === undefined || bn === '' ? null : Number(bn),
      txHash: orNull(v[at + 3]),
      txFromAddress: orNull(v[at + 4]),
      fromTokenAmount: v[at + 5],
      toTokenAmount: v[at + 6],
      priceUsd: v[at + 7],
      volumeUsd: v[at + 8],
      side: v[at + 9],
      blockTimestamp: v[at + 10],
    } as TradeRecord;
    const c = orNull(created?.[i]);
    if (c !== null) t.createdAt = c;
    trades.push(t);
  }
  return trades;
}
