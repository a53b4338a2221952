// The status line: cut to the terminal width (escape sequences take no room), logs printed above it with the
// line cleared first and drawn again after, wrapped to the width; nothing drawn when stderr is not a terminal.
import { describe, expect, it } from 'vitest';
import { cutToWidth, StatusLine, wrapToWidth } from '../../../src/cli/terminal-status.ts';

function terminal(columns: number, isTTY = true) {
  let out = '';
  return { stream: { isTTY, columns, write: (t: string) => (out += t) }, text: () => out };
}

describe('StatusLine', () => {
  it('cuts the live line to the width less one column and redraws it in place', () => {
    const t = terminal(20);
    const line = new StatusLine(t.stream);
    line.show('0123456789abcdefghijklmnopqrstuvwxyz');
    line.show('short');
    expect(t.text()).toBe('\r0123456789abcdefgh…\x1b[K\rshort\x1b[K');
  });

  it('prints logs on lines of their own: clear, print (wrapped), redraw', () => {
    const t = terminal(10);
    const line = new StatusLine(t.stream);
    line.show('progress');
    line.print('a warning that is long\n');
    // Between words, the continuation indented.
    expect(t.text()).toBe('\rprogress\x1b[K\r\x1b[Ka warning\n    that\n    is\n    long\nprogress\x1b[K');
    line.clear();
    expect(t.text().endsWith('progress\x1b[K\r\x1b[K')).toBe(true);
  });

  it('not a terminal: no live line, logs as they are', () => {
    const t = terminal(10, false);
    const line = new StatusLine(t.stream);
    line.show('progress');
    line.print('{"level":40,"msg":"a long json line stays whole"}');
    line.clear();
    expect(t.text()).toBe('{"level":40,"msg":"a long json line stays whole"}\n');
  });

  it('measures width without colour escapes', () => {
    expect(wrapToWidth('\x1b[33mWARN\x1b[39m: abc', 6)).toEqual(['\x1b[33mWARN\x1b[39m: ', 'abc']);
    expect(cutToWidth('\x1b[1mabcdef\x1b[0m', 4)).toBe('\x1b[1mabc…');
    expect(cutToWidth('abc', 4)).toBe('abc');
  });
});
