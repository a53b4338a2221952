// Where `export` and `ohlcv` write: `--out FILE`, written beside FILE first and renamed into place once complete
// (a failed run leaves no partial FILE), or `-` for stdout, left open; a reader that goes away (… | head) ends
// the run without an error.

import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { GeckoCollectorError } from '../errors.ts';
import { fileErrorReason } from '../import/import-errors.ts';
import { UsageError } from './cli-error.ts';
import type { CliIo } from './command.ts';

/** The output file cannot be written (missing folder, permissions, full disk); the message names FILE. */
export class OutputFileError extends GeckoCollectorError {
  readonly code = 'OUTPUT_UNWRITABLE';
}

/** `--out` as given: undefined = stdout. UsageError for an empty value. */
export function outFlag(value: string | undefined): string {
  if (value === '') throw new UsageError('--out must be a file name or - for stdout, got ""');
  return value ?? '-';
}

/** Runs `write` on the target's stream; undefined when stdout's reader went away first. */
export async function writeToTarget<T>(
  out: string,
  io: CliIo,
  write: (stream: NodeJS.WritableStream) => Promise<T>,
): Promise<T | undefined> {
  if (out === '-') {
    try {
      return await write(io.stdout);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') return undefined;
      throw err;
    }
  }
  const file = path.resolve(out);
  const partial = path.join(path.dirname(file), `.${path.basename(file)}.partial`);
  const stream = fs.createWriteStream(partial);
  // A file system error names the hidden partial file; the user gave FILE.
  const named = (err: unknown) =>
    (err as NodeJS.ErrnoException).syscall !== undefined
      ? new OutputFileError(`cannot write ${out}: ${fileErrorReason(err)}`, { cause: err })
      : err;
  try {
    await once(stream, 'open');
    const result = await write(stream);
    stream.end();
    await once(stream, 'close');
    fs.renameSync(partial, file);
    return result;
  } catch (err) {
    stream.destroy();
    fs.rmSync(partial, { force: true });
    throw named(err);
  }
}
