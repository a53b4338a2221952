// Text fitted to a width: help reflowed without losing a word, tables cut, wrapped and thinned by priority.
import { describe, expect, it } from 'vitest';
import { fitHelp, fitLines, wrapWords } from '../../../src/common/text-fit.ts';
import { fitTable } from '../../../src/common/text-table.ts';

const words = (t: string) => t.split(/\s+/).filter(Boolean).join(' ');
const HELP = `usage: tool thing [flags]

A paragraph that is much too long for a narrow terminal, so it has to be reflowed onto more lines than it had,
and a second line of it.
Exit status: 0 ok.

  --short        fits
  --long-flag X  a description that runs well past the edge of the terminal and goes on, and on, and
                 continues here on its own line
  --bare-one
                 described below the flag`;

describe('fitHelp', () => {
  it('keeps every word in order, fits the width, and leaves lines that fit as written', () => {
    const out = fitHelp(HELP, 60);
    expect(words(out).replace(/ /g, '')).toBe(words(HELP).replace(/ /g, ''));
    for (const l of out.split('\n')) expect(l.length, l).toBeLessThanOrEqual(60);
    expect(out).toContain('\n  --short        fits\n');
    expect(out).toContain('\nExit status: 0 ok.\n');
    // The description wraps under itself.
    expect(out).toMatch(/^ {2}--long-flag X {2}a description .*\n {17}\S/m);
    expect(fitHelp(HELP, 200)).toBe(HELP);
  });
});

describe('wrapWords and fitLines', () => {
  it('keeps a displayed time whole and breaks an over-long word after a comma', () => {
    expect(wrapWords('since 2026-12-07 17:40:03Z (end)', 22)).toEqual(['since', '2026-12-07 17:40:03Z', '(end)']);
    expect(wrapWords('aaaa,bbbb,cccc', 10)).toEqual(['aaaa,bbbb,', 'cccc']);
    expect(fitLines(['key   value that is far too long'], 20)).toEqual(['key   value that is', '      far too long']);
    expect(fitLines(['x'.repeat(30)], undefined)).toEqual(['x'.repeat(30)]);
  });
});

describe('fitTable', () => {
  const columns = [
    { header: 'pool', cutTo: 9 },
    { header: 'trades', right: true },
    { header: 'cursor', drop: 1 },
    { header: 'note', wrapTo: 8 },
  ];
  const rows = [['solana_abcdefghijklmnop', 12, '2026-12-07 17:40:03Z', 'one two three four']];

  it('cuts ids in the middle, then drops by priority, then wraps the last column', () => {
    const wide = fitTable(columns, rows, undefined);
    expect(wide.dropped).toEqual([]);
    expect(wide.lines[1]).toBe('solana_abcdefghijklmnop      12  2026-12-07 17:40:03Z  one two three four');
    const fitted = fitTable(columns, rows, 30);
    expect(fitted.dropped).toEqual(['cursor']);
    for (const l of fitted.lines) expect(l.length, l).toBeLessThanOrEqual(30);
    expect(fitted.lines[1]).toMatch(/^sola…mnop +12 {2}one two$/);
    expect(fitted.lines.slice(2)).toEqual([`${' '.repeat(19)}three four`]);
  });
});
