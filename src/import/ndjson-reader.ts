// Reads NDJSON trades (one object per line, TradeRecord camelCase fields or the trades table's snake_case
// column names). Numbers are taken as their literal text, so a 70-digit amount written unquoted stays exact.

import { TRADE_FIELD_COLUMNS } from '../trades/trade-columns.ts';
import { type ImportItem, lineLocation, UNKNOWN_ID } from './import-source.ts';
import type { PhysicalLine } from './line-reader.ts';

/** TradeRecord field → the trades column that may stand for it. */
const FIELDS = [...TRADE_FIELD_COLUMNS, ['createdAt', 'created_at']] as const;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
const INTEGER = /^\d+$/;

/**
 * Rewrites every JSON number literal outside strings as a string holding the same characters: JSON.parse
 * would round amounts to doubles, and the store keeps decimals exactly as written.
 */
export function quoteNumberLiterals(json: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < json.length; i++) {
        const d = json.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
      }
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(json);
      if (!m) continue; // not a number: JSON.parse will say so
      out += `${json.slice(last, i)}"${m[0]}"`;
      last = i + m[0].length;
      i = last - 1;
    }
  }
  return last === 0 ? json : out + json.slice(last);
}

/** The parse error of the line as written (positions in the rewritten text would mislead). */
function jsonErrorOf(text: string, fallback: unknown): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  return (fallback as Error).message;
}

function toCandidate(obj: Record<string, unknown>): Record<string, unknown> {
  const candidate: Record<string, unknown> = {};
  for (const [camel, snake] of FIELDS) {
    const value = Object.hasOwn(obj, camel) ? obj[camel] : obj[snake];
    if (value !== undefined) candidate[camel] = value;
  }
  // Numbers arrive as their text (see quoteNumberLiterals); the block number is the one numeric field.
  const bn = candidate.blockNumber;
  if (typeof bn === 'string' && INTEGER.test(bn)) candidate.blockNumber = Number(bn);
  return candidate;
}

export async function* readNdjson(lines: AsyncIterable<PhysicalLine>): AsyncGenerator<ImportItem> {
  for await (const line of lines) {
    if (!line.overlong && line.text.trim() === '') continue;
    const location = lineLocation(line.number);
    if (line.overlong) {
      yield { kind: 'unparsable', location, id: UNKNOWN_ID, reason: 'line is too long to be a trade record' };
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(quoteNumberLiterals(line.text));
    } catch (err) {
      yield { kind: 'unparsable', location, id: UNKNOWN_ID, reason: `not valid JSON: ${jsonErrorOf(line.text, err)}` };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
      yield { kind: 'unparsable', location, id: UNKNOWN_ID, reason: `expected one trade object per line, got ${kind}` };
      continue;
    }
    yield { kind: 'record', location, candidate: toCandidate(value as Record<string, unknown>) };
  }
}
