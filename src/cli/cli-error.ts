// Usage errors of the gecko-collector CLI: exit code 2 and one line that says what was wrong.

import { GeckoCollectorError } from '../errors.ts';

export class UsageError extends GeckoCollectorError {
  readonly code = 'CLI_USAGE';
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
