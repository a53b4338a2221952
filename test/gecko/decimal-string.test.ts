// The hand-written decimal scanners must accept exactly what their documented patterns accept.
import { describe, expect, it } from 'vitest';
import { isDecimalString, isStorableDecimal } from '../../src/gecko/decimal-string.ts';

// The rules as regexes: the specifications the scanners replace on the hot path.
const PLAIN = /^\d+(?:\.\d+)?$/;
const STORABLE = /^\d+(?:\.\d+)?(?:[eE][-+]?\d{1,3})?$/;

const CASES = [
  '0', '12', '0.5', '123.000456', '1e5', '1.5E-7', '2e+308', '1e1234', '',
  '.5', '5.', '-1', '+1', '1e', '1e+', '1.2.3', '12abc', ' 1', '1 ', '1,5', '١٢', 'NaN', 'e5', '1.e5', '0x10',
];

describe('decimal scanners', () => {
  it.each(CASES)('%j', (text) => {
    expect(isDecimalString(text)).toBe(PLAIN.test(text));
    expect(isStorableDecimal(text)).toBe(STORABLE.test(text));
  });

  it('agree with their patterns on 200k random strings over the alphabet', () => {
    const alphabet = '0123456789.eE+-x ';
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const accepted = { plain: 0, storable: 0 };
    for (let n = 0; n < 200_000; n++) {
      const len = 1 + Math.floor(next() * 9);
      let s = '';
      // Mostly digits, so a fair share of the strings are valid.
      for (let k = 0; k < len; k++) s += next() < 0.6 ? String(Math.floor(next() * 10)) : alphabet[Math.floor(next() * alphabet.length)];
      const plain = PLAIN.test(s);
      const storable = STORABLE.test(s);
      if (isDecimalString(s) !== plain) expect.fail(`${JSON.stringify(s)}: isDecimalString ${!plain}, pattern ${plain}`);
      if (isStorableDecimal(s) !== storable) expect.fail(`${JSON.stringify(s)}: isStorableDecimal ${!storable}, pattern ${storable}`);
      if (plain) accepted.plain++;
      if (storable) accepted.storable++;
    }
    // Every outcome was exercised, exponents included.
    expect(accepted.plain).toBeGreaterThan(10_000);
    expect(accepted.storable).toBeGreaterThan(accepted.plain);
    expect(accepted.storable).toBeLessThan(190_000);
  });

  it('rejects what is not a string', () => {
    expect(isDecimalString(12)).toBe(false);
    expect(isDecimalString(null)).toBe(false);
  });
});
