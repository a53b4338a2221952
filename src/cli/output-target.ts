// Where `export` and `ohlcv` write: `--out FILE`, written beside FILE first and renamed into place once complete
// (a failed run leaves no partial FILE), or `-` for stdout, left open; a reader that goes away (… | head) ends
// the run without an error.

import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './cli-error.ts';
import type { CliIo } from './command.ts';

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
    throw err;
  }
}
