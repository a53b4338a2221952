// The load's shape as the bench scripts take it from the command line (how many trades, producers, repeats),
// with one set of defaults, so every script describes the same run for the same flags.

import { intFlag, numberFlag } from '../src/cli/command.ts';

export const LOAD_SHAPE_FLAGS = {
  trades: { type: 'string' },
  collectors: { type: 'string' },
  duplicates: { type: 'string' },
} as const;

export interface LoadShape {
  trades: number;
  collectors: number;
  duplicates: number;
}

export function loadShapeFrom(args: {
  trades?: string | undefined;
  collectors?: string | undefined;
  duplicates?: string | undefined;
}): LoadShape {
  return {
    trades: intFlag('trades', args.trades, 200_000, 1),
    collectors: intFlag('collectors', args.collectors, 8, 1, 256),
    duplicates: numberFlag('duplicates', args.duplicates, 0.3, 0, 0.99),
  };
}
