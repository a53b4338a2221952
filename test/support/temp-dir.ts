// Temp directories for tests that need real database files; all of them are removed after the test file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
// Registered once, when a test file first imports this module (collection time), so directories made
// inside a running test are cleaned up too (an afterAll registered from inside a test would never run).
afterAll(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'gecko-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export { FIXTURES, fixturePath } from './fixtures.ts';
