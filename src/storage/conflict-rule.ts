// The one conflict rule, for both engines: which fields of a stored trade and a received one with the same id
// differ. Amounts are compared as numbers (exact decimals: `1.50`, `1.5` and `15e-1` are one amount), times as
// instants, and a field missing (null) on either side is no difference (older rows may lack what new ones carry).
// Each engine's trade-conflicts.ts finds candidate rows in SQL and keeps those this rule says differ.

import { TRADE_FIELD_COLUMNS } from '../trades/trade-columns.ts';
import { normalizeTimestamp } from '../trades/trade-validation.ts';

/** The compared fields: every TradeRecord field after the id. */
export const CONFLICT_FIELDS: readonly string[] = TRADE_FIELD_COLUMNS.slice(1).map(([name]) => name);
const AMOUNTS = new Set(['fromTokenAmount', 'toTokenAmount', 'priceUsd', 'volumeUsd']);

/** A non-negative decimal (optionally with an exponent) as digits and a power of ten, trailing zeros dropped. */
function decimalKey(text: string): string {
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(text.trim());
  if (!m) return text;
  const digits = `${m[1] ?? ''}${m[2] ?? ''}`.replace(/^0+/, '');
  if (digits === '') return '0';
  let exponent = Number(m[3] ?? 0) - (m[2]?.length ?? 0);
  let significant = digits;
  while (significant.endsWith('0')) {
    significant = significant.slice(0, -1);
    exponent++;
  }
  return `${significant}e${exponent}`;
}

function same(field: string, a: string, b: string): boolean {
  if (a === b) return true;
  if (AMOUNTS.has(field)) return decimalKey(a) === decimalKey(b);
  if (field === 'blockTimestamp') {
    const x = normalizeTimestamp(a);
    return x !== null && x === normalizeTimestamp(b);
  }
  if (field === 'blockNumber') return Number(a) === Number(b);
  return false;
}

/** The fields (TradeRecord names) in which `kept` and `received` differ under the rule; [] when none. */
export function differingFields(
  kept: Readonly<Record<string, string | null>>,
  received: Readonly<Record<string, string | null>>,
): string[] {
  const out: string[] = [];
  for (const f of CONFLICT_FIELDS) {
    const a = kept[f];
    const b = received[f];
    if (a === null || a === undefined || b === null || b === undefined) continue;
    if (!same(f, a, b)) out.push(f);
  }
  return out;
}
