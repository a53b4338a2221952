// Files replaced whole: written under a name nobody can predict, created exclusively beside the target (O_EXCL
// fails on anything already there, a planted symlink included), then renamed over it; removed when that fails.

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** Temporary files being written now: a process ended by a signal removes them first (removeTemporaryFiles). */
const live = new Set<string>();

/** `.NAME.<16 random hex>.tmp` beside `target`. */
function temporaryPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(8).toString('hex')}.tmp`);
}

async function createExclusively(target: string): Promise<{ file: string; handle: FileHandle }> {
  for (let attempt = 1; ; attempt++) {
    const file = temporaryPathFor(target);
    try {
      return { file, handle: await fs.promises.open(file, 'wx') };
    } catch (err) {
      // A name taken by chance (or planted) is never opened; another one is drawn.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt === 3) throw err;
    }
  }
}

/**
 * Runs `write` on a stream into a new temporary file beside `target`, then renames that over `target`, so a
 * reader sees the old file or the whole new one. When `write`, the flush or the rename fails, the temporary file is
 * removed and the error rethrown (a file system error then names the temporary file).
 */
export async function replaceFile<T>(target: string, write: (stream: fs.WriteStream) => Promise<T>): Promise<T> {
  const { file, handle } = await createExclusively(target);
  live.add(file);
  const stream = handle.createWriteStream();
  try {
    const result = await write(stream);
    stream.end();
    await once(stream, 'close');
    await fs.promises.rename(file, target);
    return result;
  } catch (err) {
    stream.destroy();
    await fs.promises.rm(file, { force: true });
    throw err;
  } finally {
    live.delete(file);
  }
}

/** `text` as the whole new content of `target` (see replaceFile). */
export function replaceFileText(target: string, text: string): Promise<void> {
  return replaceFile(target, async (stream) => {
    stream.write(text);
  });
}

/** Removes the temporary files still being written, synchronously: for a process about to end on a signal. */
export function removeTemporaryFiles(): void {
  for (const file of live) fs.rmSync(file, { force: true });
  live.clear();
}
