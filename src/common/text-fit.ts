// Text for a terminal of a given width: words wrapped with a hanging indent, a help text's flag entries and
// paragraphs reflowed, any line cut back to the width, and the widths a command prints at (the terminal's,
// 80 when not a terminal, none with --wide).

/** The width a person's output fits when not told otherwise (a pipe, a file, a log). */
export const DEFAULT_WIDTH = 80;

/** Where a command's text goes: a TTY reports its width. */
export interface SizedStream {
  isTTY?: boolean;
  columns?: number;
}

/** The width to fit: undefined (no limit) with --wide, the terminal's on a TTY, else 80. */
export function outputWidth(stream: SizedStream, wide = false): number | undefined {
  if (wide) return undefined;
  if (stream.isTTY === true && typeof stream.columns === 'number' && stream.columns > 0) return stream.columns;
  return DEFAULT_WIDTH;
}

/**
 * `text` as lines of at most `width` characters, broken between words; the first line starts with `first`, the
 * others with `rest` (a hanging indent). A word longer than a line is broken where the line ends.
 */
export function wrapWords(text: string, width: number, first = '', rest = first): string[] {
  const out: string[] = [];
  let line = first;
  let empty = true;
  // A displayed time (`2026-12-07 17:40:03Z`) is one word.
  for (let word of text.match(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\S*|\S+/g) ?? []) {
    if (!empty && line.length + 1 + word.length > width) {
      out.push(line.trimEnd());
      line = rest;
      empty = true;
    }
    while (empty && line.length + word.length > width && width > line.length) {
      // A word longer than a line breaks after a comma or slash when there is one in the second half.
      const room = width - line.length;
      const mark = Math.max(word.lastIndexOf(',', room - 1), word.lastIndexOf('/', room - 1));
      const cut = mark >= room / 2 ? mark + 1 : room;
      out.push(line + word.slice(0, cut));
      word = word.slice(cut);
      line = rest;
    }
    line += `${empty ? '' : ' '}${word}`;
    empty = false;
  }
  out.push(line.trimEnd());
  return out;
}

/** A flag or command entry: indent, the term, two or more spaces, its description. */
const ENTRY = /^( +)(\S(?:\S| (?! ))*?)( {2,})(\S.*)$/;
/** A term alone on its line, its description below it: `  --repair-cursors`. */
const BARE_TERM = /^ +-\S*( \S+)?$/;

const indentOf = (line: string) => line.length - line.trimStart().length;

/** The largest share of the width a term may take before its description moves below it. */
const MAX_TERM_SHARE = 0.45;

/** An entry from lines[i]: the description's lines run while they are indented deeper than the term. */
function helpEntry(lines: readonly string[], i: number, width: number): { out: string[]; next: number } {
  const [, indent, term, gap, first] = ENTRY.exec(lines[i]!)!;
  const descCol = indent!.length + term!.length + gap!.length;
  const parts = [first!];
  let j = i + 1;
  for (; j < lines.length; j++) {
    const next = lines[j]!;
    const at = indentOf(next);
    if (next.trim() === '' || at <= indent!.length || at > descCol || ENTRY.test(next)) break;
    parts.push(next.trim());
  }
  const original = lines.slice(i, j);
  if (original.every((l) => l.length <= width)) return { out: original, next: j };
  const text = parts.join(' ');
  if (descCol <= width * MAX_TERM_SHARE)
    return { out: wrapWords(text, width, `${indent}${term}${gap}`, ' '.repeat(descCol)), next: j };
  return { out: [`${indent}${term}`, ...wrapWords(text, width, ' '.repeat(indent!.length + 4))], next: j };
}

/** A paragraph from lines[i]: lines at one indent, up to one that ends a sentence or a label. */
function helpParagraph(lines: readonly string[], i: number, width: number): { out: string[]; next: number } {
  const at = indentOf(lines[i]!);
  let j = i + 1;
  if (!BARE_TERM.test(lines[i]!))
    for (; j < lines.length && !/[.:]$/.test(lines[j - 1]!); j++) {
      const next = lines[j]!;
      if (next.trim() === '' || indentOf(next) !== at || ENTRY.test(next) || BARE_TERM.test(next)) break;
    }
  const original = lines.slice(i, j);
  if (original.every((l) => l.length <= width)) return { out: original, next: j };
  return { out: wrapWords(original.map((l) => l.trim()).join(' '), width, ' '.repeat(at)), next: j };
}

/**
 * A help text reflowed to `width`: a flag or command entry with a line too long has its description (the
 * continuation lines joined) wrapped under itself, or below the term when the term is wide; a paragraph with a
 * line too long is joined up to a line ending a sentence or a label (`.` `:`) and wrapped at its indent. What
 * fits is kept as written.
 */
export function fitHelp(text: string, width: number): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    if (lines[i]!.trim() === '') {
      out.push('');
      i++;
      continue;
    }
    const piece = ENTRY.test(lines[i]!) ? helpEntry(lines, i, width) : helpParagraph(lines, i, width);
    out.push(...piece.out);
    i = piece.next;
  }
  return out.join('\n');
}

/**
 * Lines fitted to `width` whatever they hold: a longer one is wrapped between words, its continuation indented
 * under its last column (two spaces or more before it) when that leaves room, else under its own indent.
 */
export function fitLines(lines: readonly string[], width: number | undefined): string[] {
  if (width === undefined) return [...lines];
  const out: string[] = [];
  for (const line of lines) {
    if (line.length <= width) {
      out.push(line);
      continue;
    }
    const lastGap = line.lastIndexOf('  ', width - 10);
    const lead = indentOf(line);
    const col = lastGap > lead ? lastGap + 2 + indentOf(line.slice(lastGap + 2)) : lead + 4;
    if (col <= width / 2) {
      // What comes before the last column stays as it is (its alignment); the column wraps under itself.
      out.push(...wrapWords(line.slice(col), width, line.slice(0, col), ' '.repeat(col)));
    } else out.push(...wrapWords(line, width, ' '.repeat(lead), ' '.repeat(lead + 4)));
  }
  return out;
}

/** `text` at most `width` characters, with `…` in the middle where it was cut (ids keep both ends). */
export function cutMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, width);
  const head = Math.ceil((width - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`;
}
