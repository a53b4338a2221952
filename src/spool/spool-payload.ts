// How a write batch is stored in the spool: only its content (every WritePayload key), as JSON, with the
// record count the water marks go by.

import type { WritePayload } from '../protocol/messages.ts';
import { type LegacyPackedTrades, unpackLegacyTrades } from './legacy-packed-trades.ts';
import type { SpoolRow } from './spool-file.ts';

// flushReason is spooled too, so a replayed batch counts under the reason it was cut for.
const PAYLOAD_KEYS = [
  'trades',
  'pools',
  'dexes',
  'cursors',
  'gaps',
  'gapFills',
  'candles',
  'reconciles',
  'flushReason',
] as const;
/** The keys holding records (flushReason is a label, not a record). */
const RECORD_LIST_KEYS = ['trades', 'pools', 'dexes', 'cursors', 'gaps', 'gapFills', 'candles', 'reconciles'] as const;
// Every field of a payload must be spooled: a key added to WritePayload and missing here would be dropped
// silently on deferral, so make that a compile error.
type MissingPayloadKeys = Exclude<keyof WritePayload, (typeof PAYLOAD_KEYS)[number]>;
const _allPayloadKeysSpooled: MissingPayloadKeys extends never ? true : never = true;
void _allPayloadKeysSpooled;

/** A payload ready for the spool: its JSON, its records, and the JSON's UTF-8 bytes. */
export interface EncodedPayload extends SpoolRow {
  bytes: number;
}

/**
 * Keeps only the batch content. A WriteBatchMessage passes as a WritePayload structurally, and a stored
 * `batchId`/`kind` would later override the fresh batchId the writer client spreads in before it.
 */
function contentOf(payload: WritePayload): WritePayload {
  const out: WritePayload = {};
  for (const key of PAYLOAD_KEYS) {
    if (payload[key] !== undefined) (out as Record<string, unknown>)[key] = payload[key];
  }
  return out;
}

/** Records of every kind in a payload: what the row-based water marks count. */
export function payloadRows(payload: WritePayload): number {
  let n = 0;
  for (const key of RECORD_LIST_KEYS) n += payload[key]?.length ?? 0;
  return n;
}

/** Throws what JSON.stringify throws for a payload that cannot be serialized (a BigInt, a cycle). */
export function encodePayload(payload: WritePayload): EncodedPayload {
  const content = contentOf(payload);
  const json = JSON.stringify(content);
  return { json, rows: payloadRows(content), bytes: payloadBytes(json) };
}

export function decodePayload(json: string): WritePayload {
  const payload = JSON.parse(json) as WritePayload & { packedTrades?: LegacyPackedTrades };
  if (payload.packedTrades) {
    // Spooled by an earlier version: its packed trades come back as objects.
    payload.trades = [...(payload.trades ?? []), ...unpackLegacyTrades(payload.packedTrades)];
    delete payload.packedTrades;
  }
  return payload;
}

/** What a stored payload counts for in the queue's `bytes` depth. */
export function payloadBytes(json: string): number {
  return Buffer.byteLength(json, 'utf8');
}
