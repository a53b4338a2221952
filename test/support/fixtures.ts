// Locates shared/fixtures (real API responses, the legacy schema): beside the checkout, as CI lays it out,
// else the workplace copy; GECKO_FIXTURES_DIR overrides both.
import fs from 'node:fs';
import path from 'node:path';

function locate(): string {
  if (process.env.GECKO_FIXTURES_DIR) return process.env.GECKO_FIXTURES_DIR;
  const candidates = [path.resolve(import.meta.dirname, '../../../shared/fixtures'), '/work/shared/fixtures'];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0]!;
}

export const FIXTURES = locate();

export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}
