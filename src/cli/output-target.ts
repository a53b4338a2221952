// Where `export` and `ohlcv` write: `--out FILE`, written beside FILE first (common/atomic-file.ts) and renamed
// into place once complete (a failed or interrupted run leaves no partial FILE), or `-` for stdout, left open; a
// reader that goes away (… | head) ends the run without an error.

import path from 'node:path';
import { replaceFile } from '../common/atomic-file.ts';
import { GeckoCollectorError } from '../errors.ts';
import { fileErrorReason } from '../import/import-errors.ts';
import { UsageError } from './cli-error.ts';
import type { CliIo } from './command.ts';
import { exitOnSignalNow } from './exit-now.ts';

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
  // Ctrl-C or SIGTERM ends the run as before, without leaving the temporary file behind.
  process.once('SIGINT', exitOnSignalNow);
  process.once('SIGTERM', exitOnSignalNow);
  try {
    return await replaceFile(path.resolve(out), write);
  } catch (err) {
    // A file system error names the hidden temporary file; the user gave FILE.
    if ((err as NodeJS.ErrnoException).syscall === undefined) throw err;
    throw new OutputFileError(`cannot write ${out}: ${fileErrorReason(err)}`, { cause: err });
  } finally {
    process.off('SIGINT', exitOnSignalNow);
    process.off('SIGTERM', exitOnSignalNow);
  }
}
