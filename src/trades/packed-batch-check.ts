// The writer's fast path for a packed batch: ONE compiled regex checks the shape of every row of the packed
// string at once (irregexp runs it at native speed), then one loop checks field lengths, instead of a dozen
// checks per row in JS. It accepts only rows that checkTradeValuesAt would accept unchanged; a batch it does
// not accept goes through the row-by-row checks, which find the bad rows and their reasons. The sender runs the
// same checks before it posts (senderChecks), so the writer's thread, the funnel's one serial stage, only
// splits a batch marked checked.

import type { CheckedBlockTimes } from '../protocol/messages.ts';
import { AMOUNTS_PER_ROW, amountsAgree } from './trade-amounts.ts';
import { FIELD } from './trade-packing.ts';
import {
  BLOCK_TIME_FIELD as BLOCK_TIME,
  PLAIN_DECIMAL_PATTERN as DECIMAL,
  MAX_DECIMAL,
  MAX_HASH,
  MAX_ID,
  MAX_POOL_ID,
  TRADE_FIELDS,
} from './trade-validation.ts';

// The packing separator as a regex escape, so the pattern cannot drift from trade-packing.ts.
const SEP = `\\x${FIELD.charCodeAt(0).toString(16).padStart(2, '0')}`;
const ANY = `[^${SEP}]`;
// Real calendar days without the leap-year rule: 29 February is left to the row-by-row check.
const DATE = '\\d{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)';
const TIME = '(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d\\.\\d{6}';
// TradeRow order; timestamps already in the stored format (packTrades normalizes them); an empty optional
// field stands for null; decimals plain (one with an exponent may have no double: the row checks say so). No
// length bounds here: a bounded repeat ({1,200}) made the regex 5× slower than this whole pattern, so lengths are
// checked after the split.
const ROW = [
  `${ANY}+`,
  `${ANY}+`,
  '\\d*',
  `${ANY}*`,
  `${ANY}*`,
  DECIMAL,
  DECIMAL,
  DECIMAL,
  DECIMAL,
  '(?:buy|sell)',
  `${DATE} ${TIME}`,
].join(SEP);
const ALL_ROWS_WELL_FORMED = new RegExp(`^${ROW}(?:${SEP}${ROW})*$`);
/** Digits of a safe integer (Number.MAX_SAFE_INTEGER has 16; every 15-digit number is safe). */
const MAX_BLOCK_DIGITS = 15;

/**
 * The flat bind values of a packed batch whose rows are all valid and already in stored form, or null when
 * any row needs the row-by-row checks (a bad row, another timestamp format, 29 February, a miscount).
 * Values are the packed strings, an empty optional field as null; block-number text becomes an integer in the
 * INSERT (the column's INTEGER affinity).
 */
export function fastPathValues(packed: string, count: number): (string | null)[] | null {
  if (count === 0 || !ALL_ROWS_WELL_FORMED.test(packed)) return null;
  const v: (string | null)[] = packed.split(FIELD);
  if (v.length !== count * TRADE_FIELDS) return null;
  for (let at = 0; at < v.length; at += TRADE_FIELDS) {
    if (
      v[at]!.length > MAX_ID ||
      v[at + 1]!.length > MAX_POOL_ID ||
      v[at + 2]!.length > MAX_BLOCK_DIGITS ||
      v[at + 3]!.length > MAX_HASH ||
      v[at + 4]!.length > MAX_HASH ||
      v[at + 5]!.length > MAX_DECIMAL ||
      v[at + 6]!.length > MAX_DECIMAL ||
      v[at + 7]!.length > MAX_DECIMAL ||
      v[at + 8]!.length > MAX_DECIMAL
    ) {
      return null;
    }
    nullOptionals(v, at);
  }
  return v;
}

function nullOptionals(v: (string | null)[], at: number): void {
  if (v[at + 2] === '') v[at + 2] = null;
  if (v[at + 3] === '') v[at + 3] = null;
  if (v[at + 4] === '') v[at + 4] = null;
}

/**
 * The sender's side: when the writer's fast path would take `packed` whole and `amounts` agree with its text, the
 * batch's earliest and latest block time (it may go marked checked with them: PackedTrades.checked), else null.
 * Whether the times are plausible is left to the writer's clock, which checks this range only.
 */
export function senderChecks(packed: string, count: number, amounts: Float64Array): CheckedBlockTimes | null {
  const values = fastPathValues(packed, count);
  if (values === null || amounts.length !== count * AMOUNTS_PER_ROW || !amountsAgree(values, amounts)) return null;
  let earliest = values[BLOCK_TIME]!;
  let latest = earliest;
  for (let at = BLOCK_TIME + TRADE_FIELDS; at < values.length; at += TRADE_FIELDS) {
    const t = values[at]!;
    if (t < earliest) earliest = t;
    else if (t > latest) latest = t;
  }
  return { earliest, latest };
}

/**
 * The bind values of a batch the sender checked: only the structure is checked again (the field count), or null
 * when it does not hold.
 */
export function checkedBatchValues(packed: string, count: number): (string | null)[] | null {
  if (count === 0) return null;
  const v: (string | null)[] = packed.split(FIELD);
  if (v.length !== count * TRADE_FIELDS) return null;
  for (let at = 0; at < v.length; at += TRADE_FIELDS) nullOptionals(v, at);
  return v;
}
