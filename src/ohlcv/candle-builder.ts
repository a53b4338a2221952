// Folds trades into OHLCV candles by the documented rules: a trade's bucket is its block_timestamp (UTC) floored
// to the timeframe; open is the bucket's first trade and close its last by block time then trade id (the order the
// trades arrive in); high/low the exact largest/smallest price_usd; volume the exact sum of volume_usd; buckets
// without trades are not emitted.

import { GeckoCollectorError } from '../errors.ts';
import type { StoredCandle } from '../storage/retention-store.ts';
import { secondsToStoredTime, storedTimeSeconds } from '../storage/stored-values.ts';
import type { CandleTrade } from '../storage/trade-rows.ts';
import { compareDecimals, DecimalSum } from './exact-decimal.ts';

/** One pool's candle; prices and volumes are exact decimal text. */
export interface Candle extends Omit<StoredCandle, 'timeframe'> {
  /** Set by `ohlcv --source api|best`: an API candle has no counts or buy/sell split (left empty). */
  source?: 'api' | 'trades';
}

export class TradeOrderError extends GeckoCollectorError {
  readonly code = 'TRADE_ORDER_INVALID';
}

class OpenCandle {
  high: string;
  highNum: number;
  low: string;
  lowNum: number;
  close: string;
  trades = 0;
  buys = 0;
  sells = 0;
  readonly volume = new DecimalSum();
  readonly buyVolume = new DecimalSum();
  readonly sellVolume = new DecimalSum();

  constructor(
    readonly poolId: string,
    readonly bucket: number,
    readonly open: string,
  ) {
    this.high = this.low = this.close = open;
    this.highNum = this.lowNum = Number(open);
  }

  add(t: CandleTrade): void {
    const p = t.priceUsd;
    const n = Number(p);
    // Doubles decide nearly always; equal doubles of different text are compared exactly.
    if (n > this.highNum || (n === this.highNum && p !== this.high && compareDecimals(p, this.high) > 0)) {
      this.high = p;
      this.highNum = n;
    }
    if (n < this.lowNum || (n === this.lowNum && p !== this.low && compareDecimals(p, this.low) < 0)) {
      this.low = p;
      this.lowNum = n;
    }
    this.close = p;
    this.trades++;
    this.volume.add(t.volumeUsd);
    if (t.side === 'buy') {
      this.buys++;
      this.buyVolume.add(t.volumeUsd);
    } else if (t.side === 'sell') {
      this.sells++;
      this.sellVolume.add(t.volumeUsd);
    }
  }

  done(): Candle {
    return {
      poolId: this.poolId,
      bucketStart: secondsToStoredTime(this.bucket),
      open: this.open,
      high: this.high,
      low: this.low,
      close: this.close,
      volumeUsd: this.volume.toString(),
      trades: this.trades,
      buys: this.buys,
      sells: this.sells,
      buyVolumeUsd: this.buyVolume.toString(),
      sellVolumeUsd: this.sellVolume.toString(),
    };
  }
}

/**
 * Candles of `seconds`-long buckets from trades in pool, block time, trade id order (as the trade sources read
 * them), a batch of candles per batch of trades. A trade out of that order is a TradeOrderError, not a wrong candle.
 */
export async function* buildCandles(trades: AsyncIterable<CandleTrade[]>, seconds: number): AsyncGenerator<Candle[]> {
  let current: OpenCandle | undefined;
  let lastSecondText = '';
  let lastSecond = 0;
  for await (const batch of trades) {
    const out: Candle[] = [];
    for (const t of batch) {
      // Many trades share a second: parse each second's text once.
      const secondText = t.blockTimestamp.slice(0, 19);
      if (secondText !== lastSecondText) {
        lastSecond = storedTimeSeconds(t.blockTimestamp);
        if (Number.isNaN(lastSecond))
          throw new TradeOrderError(`trade ${t.id}: block_timestamp ${JSON.stringify(t.blockTimestamp)} is not a time`);
        lastSecondText = secondText;
      }
      const bucket = lastSecond - (lastSecond % seconds);
      if (current && current.poolId === t.poolId && current.bucket === bucket) {
        current.add(t);
        continue;
      }
      if (current) {
        if (current.poolId === t.poolId && bucket < current.bucket)
          throw new TradeOrderError(`trade ${t.id} arrived after later trades of pool ${t.poolId}`);
        out.push(current.done());
      }
      current = new OpenCandle(t.poolId, bucket, t.priceUsd);
      current.add(t);
    }
    if (out.length) yield out;
  }
  if (current) yield [current.done()];
}
