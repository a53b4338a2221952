// Turns GeckoTerminal pools responses (top, new, multi; JSON:API with included tokens and dexes) into
// PoolRecords and DexRecords; what the pools table has no column for is kept in metadataJson.

import { poolIdOf } from '../config/pool-addresses.ts';
import type { DexRecord, PoolRecord } from '../protocol/records.ts';
import { isDecimalString } from '../trades/decimal-string.ts';
import { JsonReader } from './json-reader.ts';

export interface PoolParseContext {
  network: string;
  /** Stored in `discovery_source` (e.g. `top_pools`, `new_pools`); null when the caller asked by address. */
  discoverySource?: string | null;
}

export interface ParsedPools {
  pools: PoolRecord[];
  /** Every dex the pools reference, once each. */
  dexes: DexRecord[];
}

interface TokenInfo {
  id: string;
  address: string | null;
  name: string | null;
  symbol: string | null;
  decimals: number | null;
}

export function parsePoolsBody(body: string, context: PoolParseContext): ParsedPools {
  const reader = new JsonReader(`pools of network ${context.network}`);
  return readPools(reader, reader.parse(body), context);
}

function readPools(reader: JsonReader, document: unknown, context: PoolParseContext): ParsedPools {
  const root = reader.object(document, undefined);
  const data = reader.pageItems(root);
  const included = root.included === undefined ? [] : reader.arrayAt(root, '', 'included');
  const tokens = new Map<string, TokenInfo>();
  const dexNames = new Map<string, string>();
  included.forEach((item, index) => {
    const path = `included[${index}]`;
    const entry = reader.object(item, path);
    const id = reader.string(entry, path, 'id');
    const type = reader.string(entry, path, 'type');
    const attributes = entry.attributes === undefined ? {} : reader.objectAt(entry, path, 'attributes');
    if (type === 'token') {
      const decimals = attributes.decimals;
      tokens.set(id, {
        id,
        address: reader.optionalString(attributes, `${path}.attributes`, 'address'),
        name: reader.optionalString(attributes, `${path}.attributes`, 'name'),
        symbol: reader.optionalString(attributes, `${path}.attributes`, 'symbol'),
        decimals: typeof decimals === 'number' ? decimals : null,
      });
    } else if (type === 'dex') {
      const name = reader.optionalString(attributes, `${path}.attributes`, 'name');
      dexNames.set(id, name ?? id);
    }
  });

  const dexes = new Map<string, DexRecord>();
  const pools = data.map((item, index) => {
    const path = `data[${index}]`;
    const pool = reader.object(item, path);
    reader.string(pool, path, 'id');
    const at = `${path}.attributes`;
    const attributes = reader.objectAt(pool, path, 'attributes');
    const relationships = reader.objectAt(pool, path, 'relationships');
    const dexId = relationId(reader, relationships, `${path}.relationships`, 'dex');
    const baseTokenId = optionalRelationId(reader, relationships, `${path}.relationships`, 'base_token');
    const quoteTokenId = optionalRelationId(reader, relationships, `${path}.relationships`, 'quote_token');
    const address = reader.string(attributes, at, 'address');
    if (!dexes.has(dexId))
      dexes.set(dexId, { id: dexId, name: dexNames.get(dexId) ?? dexId, network: context.network });
    const record: PoolRecord = {
      id: poolIdOf(context.network, address),
      address,
      name: reader.optionalString(attributes, at, 'name'),
      dexId,
      baseTokenId,
      quoteTokenId,
      reserveUsd: optionalDecimal(reader, attributes, at, 'reserve_in_usd'),
      createdAt: attributes.pool_created_at == null ? null : reader.isoTimestamp(attributes, at, 'pool_created_at'),
      discoverySource: context.discoverySource ?? null,
      metadataJson: metadataJson(reader, at, {
        baseToken: baseTokenId === null ? null : (tokens.get(baseTokenId) ?? { id: baseTokenId }),
        quoteToken: quoteTokenId === null ? null : (tokens.get(quoteTokenId) ?? { id: quoteTokenId }),
        baseTokenPriceUsd: attributes.base_token_price_usd ?? null,
        quoteTokenPriceUsd: attributes.quote_token_price_usd ?? null,
        fdvUsd: attributes.fdv_usd ?? null,
        marketCapUsd: attributes.market_cap_usd ?? null,
        priceChangePercentage: attributes.price_change_percentage ?? null,
        volumeUsd: attributes.volume_usd ?? null,
        transactions: attributes.transactions ?? null,
      }),
    };
    return record;
  });
  return { pools, dexes: [...dexes.values()] };
}

/** The pool's metadata as JSON text; a value nested too deep for JSON.stringify is a malformed response. */
function metadataJson(reader: JsonReader, path: string, metadata: Record<string, unknown>): string {
  try {
    return JSON.stringify(metadata);
  } catch (err) {
    return reader.fail(path, `cannot be kept as JSON (${err instanceof Error ? err.message : 'unknown error'})`, err);
  }
}

function optionalRelationId(
  reader: JsonReader,
  relationships: Record<string, unknown>,
  path: string,
  key: string,
): string | null {
  if (relationships[key] === undefined || relationships[key] === null) return null;
  return relationId(reader, relationships, path, key);
}

function relationId(reader: JsonReader, relationships: Record<string, unknown>, path: string, key: string): string {
  const relation = reader.objectAt(relationships, path, key);
  const data = reader.objectAt(relation, `${path}.${key}`, 'data');
  return reader.string(data, `${path}.${key}.data`, 'id');
}

/** GeckoTerminal writes "NaN" for values it cannot compute; that means "unknown", not a bad body. */
function optionalDecimal(reader: JsonReader, obj: Record<string, unknown>, path: string, key: string): string | null {
  const value = obj[key];
  if (value === undefined || value === null || value === 'NaN') return null;
  if (!isDecimalString(value)) return reader.decimal(obj, path, key);
  return value;
}
