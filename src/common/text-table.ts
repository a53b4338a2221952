// Aligned text tables that fit a width: ids cut in the middle, the last column's words wrapped, then columns
// dropped by priority (the caller says which went, so it can point at --wide); no width means all, as they are.

import { cutMiddle, fitLines, wrapWords } from './text-fit.ts';

export interface TableColumn {
  header: string;
  /** Right-aligned (numbers). */
  right?: boolean;
  /** May be cut in the middle down to this many characters (ids keep both ends). */
  cutTo?: number;
  /** The last column only: its words may wrap onto more lines, down to this many characters a line. */
  wrapTo?: number;
  /** Columns that may go when the table is still too wide, lowest first; undefined: always shown. */
  drop?: number;
}

export interface FittedTable {
  lines: string[];
  /** Headers of the columns left out to fit. */
  dropped: string[];
}

const GAP = 2;

/** `header` and `rows` as aligned lines, each prefixed by `indent`, at most `width` wide when one is given. */
export function fitTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly (string | number)[])[],
  width: number | undefined,
  indent = '',
): FittedTable {
  const cells = rows.map((r) => columns.map((_, c) => String(r[c] ?? '')));
  const natural = columns.map((col, c) => Math.max(col.header.length, ...cells.map((r) => r[c]!.length)));
  let shown = columns.map((_, c) => c);
  let widths = natural.slice();
  const dropped: string[] = [];
  for (;;) {
    widths = natural.slice();
    const total = () => indent.length + shown.reduce((n, c) => n + widths[c]!, 0) + GAP * (shown.length - 1);
    for (const c of shown) {
      if (width === undefined || total() <= width) break;
      const col = columns[c]!;
      const floor = col.cutTo ?? (col.wrapTo !== undefined && c === shown[shown.length - 1] ? col.wrapTo : undefined);
      if (floor === undefined) continue;
      const floorAtLeast = Math.max(floor, col.header.length);
      widths[c] = Math.max(floorAtLeast, widths[c]! - (total() - width));
    }
    if (width === undefined || total() <= width) break;
    const candidates = shown.filter((c) => columns[c]!.drop !== undefined);
    if (candidates.length === 0) break;
    const victim = candidates.reduce((a, b) => (columns[b]!.drop! < columns[a]!.drop! ? b : a));
    shown = shown.filter((c) => c !== victim);
    dropped.push(columns[victim]!.header);
  }
  const render = (row: readonly string[]): string[] => {
    const last = shown[shown.length - 1]!;
    const parts = shown.map((c) => {
      const text = row[c]!;
      if (text.length <= widths[c]!) return [text];
      return c === last && columns[c]!.wrapTo !== undefined
        ? wrapWords(text, widths[c]!)
        : [cutMiddle(text, widths[c]!)];
    });
    const height = Math.max(...parts.map((p) => p.length));
    const out: string[] = [];
    for (let l = 0; l < height; l++) {
      const line = shown.map((c, k) => {
        const piece = parts[k]![l] ?? '';
        return columns[c]!.right ? piece.padStart(widths[c]!) : piece.padEnd(widths[c]!);
      });
      out.push(`${indent}${line.join(' '.repeat(GAP))}`.trimEnd());
    }
    return out;
  };
  const lines = [render(columns.map((c) => c.header)), ...cells.map(render)].flat();
  return { lines: fitLines(lines, width), dropped };
}
