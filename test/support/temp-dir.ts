// Temp directories for tests that need real database files; all of them are removed after the test file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { atFileEnd } from './file-end.ts';

export function tempDir(prefix = 'gecko-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  atFileEnd(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { FIXTURES, fixturePath } from './fixtures.ts';
