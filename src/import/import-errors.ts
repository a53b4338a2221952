// Errors of `gecko-collector import`: the input file cannot be read, its format is not what was expected,
// or the run stopped halfway (carrying what was committed before the stop).

import { GeckoCollectorError } from '../errors.ts';
import type { ImportSummary } from './import-source.ts';

/** The file to import is missing, unreadable or not a regular file; the message names the path. */
export class ImportFileError extends GeckoCollectorError {
  readonly code = 'IMPORT_FILE_UNREADABLE';
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot read import file ${path}: ${reason}`, options);
  }
}

const ERRNO_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent of it is not a directory',
};

/** A short reason for a file system error (its message repeats the path the caller already names). */
export function fileErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return (code && ERRNO_REASONS[code]) ?? (err as Error).message;
}

/** The file as a whole is not in the format being imported (no usable CSV header, not a trades document...). */
export class ImportFormatError extends GeckoCollectorError {
  readonly code = 'IMPORT_FORMAT_INVALID';
}

/**
 * The import stopped before the end of the file (write failed, read failed). `summary` counts only what the
 * writer acknowledged: those batches are committed and stay; re-running the import skips them as duplicates.
 */
export class ImportFailedError extends GeckoCollectorError {
  readonly code = 'IMPORT_FAILED';
  constructor(
    message: string,
    readonly summary: ImportSummary,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
