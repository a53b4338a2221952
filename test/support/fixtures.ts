// Locates shared/fixtures (real API responses, the legacy schema): beside the checkout, as CI lays it out,
// else the workplace copy; GECKO_FIXTURES_DIR overrides both.
import fs from 'node:fs';
import path from 'node:path';
import { parseTradesDocument } from '../../src/gecko/trade-parser.ts';
import type { TradeRecord } from '../../src/protocol/records.ts';
import { REPO_ROOT } from './repo.ts';

function locate(): string {
  if (process.env.GECKO_FIXTURES_DIR) return process.env.GECKO_FIXTURES_DIR;
  const candidates = [path.resolve(REPO_ROOT, '../shared/fixtures'), '/work/shared/fixtures'];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0]!;
}

export const FIXTURES = locate();

export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

/** The fixture's 300 real trades, parsed as a collector would for a pool named PoolFromFixture. */
export function fixtureTrades(): TradeRecord[] {
  const doc = JSON.parse(fs.readFileSync(fixturePath('geckoterminal/trades_solana_sol-pump.json'), 'utf8')) as unknown;
  return parseTradesDocument(doc, { network: 'solana', poolAddress: 'PoolFromFixture' });
}
