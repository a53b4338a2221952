// Turns a GeckoTerminal trades response (JSON:API) into TradeRecords, keeping every decimal as the exact
// string received and refusing a malformed body with an error that names the pool, trade index and field.

import type { TradeRecord, TradeSide } from '../protocol/records.ts';
import { JsonReader } from './json-reader.ts';

export interface TradeParseContext {
  network: string;
  poolAddress: string;
}

const SIDES: readonly TradeSide[] = ['buy', 'sell'];

export function poolIdOf(network: string, poolAddress: string): string {
  return `${network}_${poolAddress}`;
}

/** Parses the raw response text. */
export function parseTradesBody(body: string, context: TradeParseContext): TradeRecord[] {
  const poolId = poolIdOf(context.network, context.poolAddress);
  const reader = new JsonReader(`trades of pool ${poolId}`);
  return readTrades(reader, reader.parse(body), poolId);
}

/** Parses an already-decoded document (e.g. from a fixture file). */
export function parseTradesDocument(document: unknown, context: TradeParseContext): TradeRecord[] {
  const poolId = poolIdOf(context.network, context.poolAddress);
  return readTrades(new JsonReader(`trades of pool ${poolId}`), document, poolId);
}

function readTrades(reader: JsonReader, document: unknown, poolId: string): TradeRecord[] {
  const root = reader.object(document, undefined);
  const data = reader.arrayAt(root, '', 'data');
  return data.map((item, index) => readTrade(reader, item, `data[${index}]`, poolId));
}

function readTrade(reader: JsonReader, item: unknown, path: string, poolId: string): TradeRecord {
  const trade = reader.object(item, path);
  const id = reader.string(trade, path, 'id');
  if (trade.type !== undefined && trade.type !== 'trade')
    reader.fail(`${path}.type`, `must be "trade", got ${JSON.stringify(trade.type)}`);
  const at = `${path}.attributes`;
  const attributes = reader.objectAt(trade, path, 'attributes');
  const side = reader.oneOf(attributes, at, 'kind', SIDES);
  // The pool's base token is what a buy receives and a sell gives away.
  const priceUsd =
    side === 'buy'
      ? reader.decimal(attributes, at, 'price_to_in_usd')
      : reader.decimal(attributes, at, 'price_from_in_usd');
  return {
    id,
    poolId,
    blockNumber: reader.integer(attributes, at, 'block_number'),
    txHash: reader.string(attributes, at, 'tx_hash'),
    txFromAddress: reader.string(attributes, at, 'tx_from_address'),
    fromTokenAmount: reader.decimal(attributes, at, 'from_token_amount'),
    toTokenAmount: reader.decimal(attributes, at, 'to_token_amount'),
    priceUsd,
    volumeUsd: reader.decimal(attributes, at, 'volume_in_usd'),
    side,
    blockTimestamp: reader.isoTimestamp(attributes, at, 'block_timestamp'),
  };
}
