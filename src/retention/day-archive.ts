// One UTC day of trades as a Parquet file of the archive (`trades-YYYY-MM-DD.parquet`, the export's columns):
// written atomically (a temporary file renamed into place, then synced), never over a file already there (a later
// prune of the same day gets `trades-YYYY-MM-DD.2.parquet`), and read back for its row count before anything may
// be deleted. A count that does not match is an ArchiveCheckError.

import fs from 'node:fs';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { replaceFile } from '../common/atomic-file.ts';
import { GeckoCollectorError } from '../errors.ts';
import { OutputSink } from '../export/output-sink.ts';
import { writeParquet } from '../export/parquet-format.ts';
import type { ExportRow } from '../storage/trade-rows.ts';

/** The archive could not be written or did not read back as written: nothing of that day was deleted. */
export class ArchiveCheckError extends GeckoCollectorError {
  readonly code = 'ARCHIVE_FAILED';
}

/** The first name of the day not taken in `dir`. */
export function archiveFileFor(dir: string, day: string): string {
  for (let n = 1; ; n++) {
    const file = path.join(dir, `trades-${day}${n === 1 ? '' : `.${n}`}.parquet`);
    if (!fs.existsSync(file)) return file;
  }
}

/** Rows in a Parquet file, from its footer and from its id column read whole (so the data decodes, too). */
export async function parquetRowCount(file: string): Promise<number> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  const ids = await parquetReadObjects({ file: buffer, metadata, columns: ['id'] });
  if (ids.length !== Number(metadata.num_rows))
    throw new ArchiveCheckError(`${file}: footer says ${metadata.num_rows} rows, the id column has ${ids.length}`);
  return ids.length;
}

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `rows` (one day's trades) to a new file of the archive and reads it back. Resolves with the file and its
 * rows; ArchiveCheckError when anything fails (the file, if it was written, is removed again).
 */
export async function archiveDay(
  dir: string,
  day: string,
  rows: AsyncIterable<ExportRow[]>,
): Promise<{ file: string; rows: number }> {
  let file: string | undefined;
  try {
    fs.mkdirSync(dir, { recursive: true });
    const target = archiveFileFor(dir, day);
    file = target;
    const written = await replaceFile(target, async (stream) => {
      const sink = new OutputSink(stream);
      try {
        const n = await writeParquet(rows, sink);
        await sink.flush();
        return n;
      } finally {
        sink.detach();
      }
    });
    fsyncPath(target);
    fsyncPath(dir);
    const read = await parquetRowCount(target);
    if (read !== written) throw new ArchiveCheckError(`${target}: ${written} trades written, ${read} read back`);
    return { file: target, rows: written };
  } catch (err) {
    if (file !== undefined) fs.rmSync(file, { force: true });
    if (err instanceof ArchiveCheckError) throw err;
    throw new ArchiveCheckError(
      `the archive of ${day} could not be written in ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; nothing of that day was deleted`,
      { cause: err },
    );
  }
}
