// Temp directories for tests that need real database files; removed after each test file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

export function tempDir(prefix = 'gecko-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const FIXTURES = path.resolve(import.meta.dirname, '../../../shared/fixtures');

/** Finds shared/fixtures beside the checkout (CI lays shared/ next to the clone). */
export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}
