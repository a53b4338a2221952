// Exact arithmetic on the stored decimal text (up to ~70 digits, which no double holds): compare two values and
// sum many, as scaled BigInts, so candles carry the exact high, low and volume.

import { GeckoCollectorError } from '../errors.ts';

export class DecimalTextError extends GeckoCollectorError {
  readonly code = 'DECIMAL_INVALID';
}

const DECIMAL = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/;
const POW10: bigint[] = [1n];
function pow10(n: number): bigint {
  while (POW10.length <= n) POW10.push(POW10[POW10.length - 1]! * 10n);
  return POW10[n]!;
}

const PLAIN = /^\d+(?:\.\d+)?$/;

/** `text` as units × 10^-scale (scale ≥ 0). */
export function parseDecimal(text: string): { units: bigint; scale: number } {
  // The stored form nearly always: digits, maybe a point; no regex captures, one BigInt.
  if (PLAIN.test(text)) {
    const dot = text.indexOf('.');
    return dot === -1
      ? { units: BigInt(text), scale: 0 }
      : { units: BigInt(text.slice(0, dot) + text.slice(dot + 1)), scale: text.length - dot - 1 };
  }
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new DecimalTextError(`not a decimal: ${JSON.stringify(text)}`);
  const [, sign, int = '', frac = '', exp] = m;
  let units = BigInt(`${int}${frac}` || '0');
  let scale = frac.length - (exp === undefined ? 0 : Number(exp));
  if (scale < 0) {
    units *= pow10(-scale);
    scale = 0;
  }
  return { units: sign === '-' ? -units : units, scale };
}

/** Plain decimal text of units × 10^-scale, without trailing fraction zeros. */
export function formatDecimal(units: bigint, scale: number): string {
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    const int = digits.slice(0, digits.length - scale);
    const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
    digits = frac ? `${int}.${frac}` : int;
  }
  return negative && digits !== '0' ? `-${digits}` : digits;
}

/** Sign of a − b, exactly. */
export function compareDecimals(a: string, b: string): -1 | 0 | 1 {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  const p = x.units * pow10(scale - x.scale);
  const q = y.units * pow10(scale - y.scale);
  return p < q ? -1 : p > q ? 1 : 0;
}

/** A running exact sum of decimal texts. */
export class DecimalSum {
  private units = 0n;
  private scale = 0;

  add(text: string): void {
    const v = parseDecimal(text);
    if (v.scale > this.scale) {
      this.units *= pow10(v.scale - this.scale);
      this.scale = v.scale;
    }
    this.units += v.scale < this.scale ? v.units * pow10(this.scale - v.scale) : v.units;
  }

  toString(): string {
    return formatDecimal(this.units, this.scale);
  }
}
