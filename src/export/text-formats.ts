// The text export formats: CSV in the Python collector's export columns (what `import` reads back) and NDJSON
// (one object a line, the trades table's column names). Decimals are their exact text; times the stored UTC text.

import type { ExportRow } from '../storage/trade-rows.ts';
import type { OutputSink } from './output-sink.ts';
import { EXPORT_COLUMNS, exportValues } from './trade-row.ts';

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled; null is an empty field. */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function writeCsv(rows: AsyncIterable<ExportRow[]>, sink: OutputSink): Promise<number> {
  let n = 0;
  await sink.text(`${EXPORT_COLUMNS.join(',')}\n`);
  for await (const batch of rows) {
    let text = '';
    for (const r of batch) text += `${exportValues(r).map(csvField).join(',')}\n`;
    n += batch.length;
    await sink.text(text);
  }
  return n;
}

export async function writeNdjson(rows: AsyncIterable<ExportRow[]>, sink: OutputSink): Promise<number> {
  let n = 0;
  for await (const batch of rows) {
    let text = '';
    for (const r of batch) {
      const values = exportValues(r);
      const obj: Record<string, string | number | null> = {};
      for (let i = 0; i < EXPORT_COLUMNS.length; i++) obj[EXPORT_COLUMNS[i]!] = values[i]!;
      text += `${JSON.stringify(obj)}\n`;
    }
    n += batch.length;
    await sink.text(text);
  }
  return n;
}
