// The one live line a command keeps at the bottom of a terminal (its progress) and everything printed above
// it (logs, notices): clear the line, print, draw it again. The live line is cut to the terminal's width so
// it never wraps (a wrapped line leaves a stale copy at every redraw), and printed lines are wrapped to it
// between words.

export interface TerminalStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** Set by Node on a TTY stream. */
  columns?: number;
}

// SGR colour sequences (a log line's level colour) take no room on the screen.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is matched
const ESCAPE = /\x1b\[[0-9;]*[A-Za-z]/y;

/** Splits `line` into pieces of at most `width` visible characters (escape sequences kept whole). */
export function wrapToWidth(line: string, width: number): string[] {
  if (width < 1) return [line];
  const out: string[] = [];
  let piece = '';
  let visible = 0;
  for (let i = 0; i < line.length; ) {
    ESCAPE.lastIndex = i;
    const esc = ESCAPE.exec(line);
    if (esc) {
      piece += esc[0];
      i += esc[0].length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    if (visible === width) {
      out.push(piece);
      piece = '';
      visible = 0;
    }
    piece += ch;
    visible++;
    i += ch.length;
  }
  out.push(piece);
  return out;
}

/** Characters `text` takes on the screen (escape sequences take none). */
function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is matched
  return [...text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')].length;
}

/**
 * `line` wrapped between words to `width` visible characters, the continuation lines indented by `hang`; a
 * word longer than a line is broken (wrapToWidth).
 */
export function wrapWordsVisible(line: string, width: number, hang = '    '): string[] {
  if (width < 1 || visibleLength(line) <= width) return [line];
  const out: string[] = [];
  let current = '';
  let used = 0;
  for (const word of line.split(' ')) {
    const len = visibleLength(word);
    if (current !== '' && used + 1 + len > width) {
      out.push(current);
      current = hang;
      used = hang.length;
    }
    if (used + len > width) {
      const pieces = wrapToWidth(`${current}${current.trim() === '' ? '' : ' '}${word}`, width);
      out.push(...pieces.slice(0, -1));
      current = pieces[pieces.length - 1]!;
      used = visibleLength(current);
      continue;
    }
    current += `${current === '' || current === hang ? '' : ' '}${word}`;
    used = visibleLength(current);
  }
  out.push(current);
  return out;
}

/** `text` cut to `width` visible characters, with `…` where it was cut. */
export function cutToWidth(text: string, width: number): string {
  const [first, ...rest] = wrapToWidth(text, width);
  if (rest.length === 0 || width < 2) return first ?? '';
  return `${wrapToWidth(first!, width - 1)[0]}…`;
}

export class StatusLine {
  private current = '';
  private shown = false;

  /** `live`: the stream is a terminal the line may be redrawn on; otherwise show() does nothing. */
  constructor(
    private readonly stream: TerminalStream,
    readonly live: boolean = stream.isTTY === true,
  ) {}

  /** The terminal's width: the stream's own, else $COLUMNS, else 80. */
  get width(): number {
    const fromEnv = Number(process.env.COLUMNS);
    return this.stream.columns || (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80);
  }

  /** Replaces the live line. The last column stays free: some terminals wrap as soon as it is written. */
  show(text: string): void {
    if (!this.live) return;
    this.current = cutToWidth(text, this.width - 1);
    this.stream.write(`\r${this.current}\x1b[K`);
    this.shown = true;
  }

  /** Writes `text` (one or more lines) above the live line, then draws the live line again. */
  print(text: string): void {
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    if (!this.live) {
      this.stream.write(`${body}\n`);
      return;
    }
    const width = this.width;
    const lines = body.split('\n').flatMap((l) => wrapWordsVisible(l.replace(/\r/g, ''), width - 1));
    this.stream.write(`${this.shown ? '\r\x1b[K' : ''}${lines.join('\n')}\n`);
    if (this.shown) this.stream.write(`${this.current}\x1b[K`);
  }

  /** Removes the live line for good (before the summary); later prints go on plain lines. */
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
    this.current = '';
  }
}
