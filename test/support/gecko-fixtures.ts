// Locates the real GeckoTerminal responses (read-only, shared by every checkout of the project).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { FIXTURES } from './fixtures.ts';

export const FIXTURES_DIR = FIXTURES;

export function readGeckoFixture(name: string): string {
  return readFileSync(join(FIXTURES_DIR, 'geckoterminal', name), 'utf8');
}
