// Reads a text file as numbered physical lines, pulling chunks only as fast as the consumer takes lines,
// so a multi-gigabyte export never sits in memory. LF and CRLF endings; a UTF-8 BOM is dropped.

import fs from 'node:fs';
import { fileErrorReason, ImportFileError } from './import-errors.ts';

export interface PhysicalLine {
  /** 1-based line number in the file. */
  number: number;
  /** The line without its line ending ('' when `overlong`). */
  text: string;
  /** The line exceeded `maxLineChars`; its text was discarded. */
  overlong: boolean;
}

export const DEFAULT_MAX_LINE_CHARS = 16 * 1024 * 1024;

/**
 * Yields every line of `path`, including blank ones (callers decide what a blank line means). A line longer
 * than `maxLineChars` comes back `overlong` instead of growing a string without bound (e.g. a binary file).
 */
export async function* readLines(path: string, maxLineChars = DEFAULT_MAX_LINE_CHARS): AsyncGenerator<PhysicalLine> {
  // 64 KB chunks: each decodes to a string below V8's large-object size (128 KB), so it lives and dies in the young
  // generation; a 256 KB chunk got fresh pages mapped (page faults) and unmapped again for every chunk.
  const stream = fs.createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  let number = 0;
  let partial = '';
  let overlong = false;
  let first = true;
  const emit = (text: string): PhysicalLine => {
    number++;
    const line: PhysicalLine = overlong
      ? { number, text: '', overlong: true }
      : { number, text: text.endsWith('\r') ? text.slice(0, -1) : text, overlong: false };
    overlong = false;
    return line;
  };
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let text = chunk;
      if (first) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        const piece = text.slice(start, nl);
        const line = partial === '' ? piece : partial + piece;
        partial = '';
        start = nl + 1;
        if (line.length > maxLineChars) overlong = true;
        yield emit(line);
      }
      if (!overlong) {
        partial += text.slice(start);
        if (partial.length > maxLineChars) {
          overlong = true;
          partial = '';
        }
      }
    }
  } catch (err) {
    throw new ImportFileError(path, fileErrorReason(err), { cause: err });
  } finally {
    stream.destroy();
  }
  if (partial !== '' || overlong) yield emit(partial);
}
