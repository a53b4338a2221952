// Files a user names (an import file, a pools file, a config file) are read only when regular. Opening a FIFO
// for reading blocks until something writes to it: for ever, in a CLI run. So they are opened non-blocking and
// refused, naming what they are, unless fstat says regular.

import fs from 'node:fs';
import { GeckoCollectorError } from '../errors.ts';

/** The file is a FIFO, a directory, a socket or a device: the message names the file and which. */
export class NotRegularFileError extends GeckoCollectorError {
  readonly code = 'NOT_A_REGULAR_FILE';
  constructor(
    readonly path: string,
    /** `a FIFO (named pipe)`, `a directory`, ... */
    readonly kind: string,
    /** What the file was given as, e.g. `import file`. */
    what: string,
  ) {
    super(`${what} ${path} is ${kind}, not a regular file`);
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'a special file';
}

// O_NONBLOCK changes nothing for a regular file; on a FIFO it makes open return at once.
const READ_NOW = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** The whole file as UTF-8 text; NotRegularFileError unless it is a regular file (never blocks on a FIFO). */
export function readRegularFileSync(file: string, what: string): string {
  const fd = fs.openSync(file, READ_NOW);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new NotRegularFileError(file, kindOf(stat), what);
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** An open handle on the file and its stat; NotRegularFileError (the handle closed) unless it is regular. */
export async function openRegularFile(
  file: string,
  what: string,
): Promise<{ handle: fs.promises.FileHandle; stat: fs.Stats }> {
  const handle = await fs.promises.open(file, READ_NOW);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new NotRegularFileError(file, kindOf(stat), what);
    return { handle, stat };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
