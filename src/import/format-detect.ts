// Picks the import format of a file: from its extension when that is unambiguous, else from its first bytes.

import path from 'node:path';
import { NotRegularFileError, openRegularFile } from '../config/regular-file.ts';
import { fileErrorReason, ImportFileError, ImportFormatError } from './import-errors.ts';
import type { ImportFormat } from './import-source.ts';

const BY_EXTENSION: Record<string, ImportFormat> = {
  '.csv': 'csv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.parquet': 'parquet',
};

const SNIFF_BYTES = 64 * 1024;

/**
 * Opens the file (so a missing or unreadable one, or a FIFO, fails here, naming the path, before any database
 * is touched) and returns `explicit` when given, else the format its name or content shows.
 */
export async function detectImportFormat(file: string, explicit?: ImportFormat): Promise<ImportFormat> {
  let head: string;
  try {
    const { handle, stat } = await openRegularFile(file, 'import file');
    try {
      const buf = Buffer.alloc(Math.min(SNIFF_BYTES, stat.size));
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      head = buf
        .subarray(0, bytesRead)
        .toString('utf8')
        .replace(/^\uFEFF/, '');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof NotRegularFileError) throw err;
    throw new ImportFileError(file, fileErrorReason(err), { cause: err });
  }
  if (explicit) return explicit;
  const byExt = BY_EXTENSION[path.extname(file).toLowerCase()];
  if (byExt) return byExt;
  const sniffed = sniffFormat(head);
  if (!sniffed) {
    throw new ImportFormatError(
      `cannot tell the format of ${file} from its name or content: pass --format csv, ndjson, jsonapi or parquet`,
    );
  }
  return sniffed;
}

/**
 * Parquet's magic `PAR1` → Parquet; `{` on a first line that is a whole object without `data` → NDJSON; any other `{` start → a JSON:API
 * document (saved responses are usually pretty-printed); a first line naming the id column → CSV.
 */
export function sniffFormat(head: string): ImportFormat | undefined {
  if (head.startsWith('PAR1')) return 'parquet';
  const text = head.trimStart();
  if (text.startsWith('{')) {
    const nl = text.indexOf('\n');
    const firstLine = (nl === -1 ? text : text.slice(0, nl)).trim();
    try {
      const first = JSON.parse(firstLine) as unknown;
      if (first && typeof first === 'object' && !Array.isArray(first) && !('data' in first)) return 'ndjson';
    } catch {
      // Not a whole object on one line: a (pretty-printed) document.
    }
    return 'jsonapi';
  }
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? undefined : text.indexOf('\n'));
  if (/(^|,)\s*"?id"?\s*,/i.test(firstLine)) return 'csv';
  return undefined;
}
