// Reads the old Python collector's CSV export of the `trades` table (RFC 4180 quoting, LF or CRLF) into
// candidate trades. A line that cannot be parsed becomes one reject with its line number; reading goes on.

import { TRADE_ROW_COLUMNS } from '../trades/trade-columns.ts';
import { ImportFormatError } from './import-errors.ts';
import { type ImportItem, lineLocation, UNKNOWN_ID } from './import-source.ts';
import type { PhysicalLine } from './line-reader.ts';

/**
 * The columns the import needs (the trades columns of a TradeRow); created_at is kept when present
 * (CREATED_AT_COLUMN), any others ignored.
 */
export const LEGACY_CSV_COLUMNS = TRADE_ROW_COLUMNS;

/** Optional: when the old collector first saw the trade; an empty field means unknown (the import time is stored). */
const CREATED_AT_COLUMN = 'created_at';

type Column = (typeof LEGACY_CSV_COLUMNS)[number] | typeof CREATED_AT_COLUMN;

// A quoted field may span lines (RFC 4180); beyond this an open quote is taken as a broken line instead, so
// one stray quote costs one reject rather than swallowing the rest of the file.
const MAX_RECORD_LINES = 64;
const MAX_RECORD_CHARS = 1024 * 1024;

export type CsvSplit = { kind: 'ok'; fields: string[] } | { kind: 'open-quote' } | { kind: 'error'; reason: string };

/** Splits one CSV record into fields: `"` quotes a field, `""` is a quote inside it, commas and newlines may be quoted. */
export function splitCsvRecord(text: string): CsvSplit {
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 34 /* " */) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) return { kind: 'open-quote' };
        value += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i === n) return { kind: 'ok', fields };
      if (text[i] !== ',') {
        return {
          kind: 'error',
          reason: `bad quoting: ${JSON.stringify(text[i])} after the closing quote of field ${fields.length} (column ${i + 1})`,
        };
      }
      i++;
    } else {
      const comma = text.indexOf(',', i);
      const end = comma === -1 ? n : comma;
      const value = text.slice(i, end);
      const stray = value.indexOf('"');
      if (stray !== -1) {
        return {
          kind: 'error',
          reason: `bad quoting: a quote inside unquoted field ${fields.length + 1} (column ${i + stray + 1})`,
        };
      }
      fields.push(value);
      if (comma === -1) return { kind: 'ok', fields };
      i = comma + 1;
    }
    // A trailing comma means one more, empty, field.
    if (i === n) {
      fields.push('');
      return { kind: 'ok', fields };
    }
  }
}

/** Lines with one step of look-back: after a failed multi-line record, its later lines are read again. */
class LineSource {
  private readonly replay: PhysicalLine[] = [];
  constructor(private readonly lines: AsyncIterator<PhysicalLine>) {}

  async next(): Promise<PhysicalLine | undefined> {
    const again = this.replay.shift();
    if (again) return again;
    const r = await this.lines.next();
    return r.done ? undefined : r.value;
  }

  pushBack(lines: PhysicalLine[]): void {
    this.replay.unshift(...lines);
  }

  async close(): Promise<void> {
    await this.lines.return?.();
  }
}

function isBlank(line: PhysicalLine): boolean {
  return !line.overlong && line.text.trim() === '';
}

function headerIndexes(header: string[], line: number): Record<Column, number> {
  const names = header.map((h) => h.trim().toLowerCase());
  const indexes = {} as Record<Column, number>;
  const missing: string[] = [];
  for (const col of LEGACY_CSV_COLUMNS) {
    const at = names.indexOf(col);
    if (at === -1) missing.push(col);
    else indexes[col] = at;
  }
  const createdAt = names.indexOf(CREATED_AT_COLUMN);
  if (createdAt !== -1) indexes[CREATED_AT_COLUMN] = createdAt;
  if (missing.length > 0) {
    throw new ImportFormatError(
      `line ${line}: the CSV header lacks ${missing.join(', ')} (expected the old collector's export: ${LEGACY_CSV_COLUMNS.join(',')})`,
    );
  }
  return indexes;
}

// Exported floats may read `363106602.0`; anything else non-integer goes to validation as text, which names it.
const BLOCK_NUMBER = /^\d+(?:\.0*)?$/;

function toCandidate(fields: string[], col: Record<Column, number>): Record<string, unknown> {
  const get = (c: Column) => fields[col[c]]!;
  const orNull = (v: string) => (v === '' ? null : v);
  const bn = get('block_number').trim();
  return {
    id: get('id'),
    poolId: get('pool_id'),
    blockNumber: bn === '' ? null : BLOCK_NUMBER.test(bn) ? Number(bn) : bn,
    txHash: orNull(get('tx_hash')),
    txFromAddress: orNull(get('tx_from_address')),
    fromTokenAmount: get('from_token_amount'),
    toTokenAmount: get('to_token_amount'),
    priceUsd: get('price_usd'),
    volumeUsd: get('volume_usd'),
    side: get('side'),
    blockTimestamp: get('block_timestamp'),
    ...(col.created_at === undefined ? {} : { createdAt: orNull(get('created_at')) }),
  };
}

/** Reads records after the header; throws ImportFormatError only when the header itself is unusable. */
export async function* readLegacyCsv(lines: AsyncIterable<PhysicalLine>): AsyncGenerator<ImportItem> {
  const source = new LineSource(lines[Symbol.asyncIterator]());
  try {
    let headerLine: PhysicalLine | undefined;
    do headerLine = await source.next();
    while (headerLine && isBlank(headerLine));
    if (!headerLine) throw new ImportFormatError('the CSV file is empty (no header line)');
    const header = splitCsvRecord(headerLine.text);
    if (header.kind !== 'ok') {
      throw new ImportFormatError(
        `line ${headerLine.number}: cannot read the CSV header: ${header.kind === 'error' ? header.reason : 'unterminated quoted field'}`,
      );
    }
    const width = header.fields.length;
    const col = headerIndexes(header.fields, headerLine.number);

    for (;;) {
      const first = await source.next();
      if (!first) return;
      if (isBlank(first)) continue;
      const location = lineLocation(first.number);
      if (first.overlong) {
        yield { kind: 'unparsable', location, id: UNKNOWN_ID, reason: 'line is too long to be a trade record' };
        continue;
      }
      const taken: PhysicalLine[] = [first];
      let text = first.text;
      let split = splitCsvRecord(text);
      while (split.kind === 'open-quote' && taken.length < MAX_RECORD_LINES && text.length < MAX_RECORD_CHARS) {
        const more = await source.next();
        if (!more || more.overlong) {
          if (more) taken.push(more);
          break;
        }
        taken.push(more);
        text += `\n${more.text}`;
        split = splitCsvRecord(text);
      }
      const multiLine = taken.length > 1;
      if (split.kind === 'ok' && split.fields.length === width) {
        yield { kind: 'record', location, candidate: toCandidate(split.fields, col) };
        continue;
      }
      // A record that only parses by running into later lines is a broken first line: reject it alone and
      // read the following lines again as records of their own.
      if (multiLine) source.pushBack(taken.slice(1));
      let reason: string;
      if (split.kind === 'open-quote' || multiLine) reason = 'bad quoting: unterminated quoted field';
      else if (split.kind === 'error') reason = split.reason;
      else reason = `expected ${width} fields as in the header, found ${split.fields.length}`;
      const idGuess = split.kind === 'ok' && !multiLine ? split.fields[col.id] : undefined;
      yield {
        kind: 'unparsable',
        location,
        id: idGuess || (col.id === 0 ? firstFieldOf(first.text) : UNKNOWN_ID),
        reason,
      };
    }
  } finally {
    await source.close();
  }
}

/** Best-effort id for a line that did not parse (id is the first column): that field when unquoted and plausible. */
function firstFieldOf(text: string): string {
  const comma = text.indexOf(',');
  const f = comma === -1 ? '' : text.slice(0, comma);
  return f !== '' && !f.includes('"') && f.length <= 200 ? f : UNKNOWN_ID;
}
