// Usage errors of the gecko-collector CLI: exit code 2 and one line that says what was wrong. The exit codes
// themselves are defined in exit-codes.ts (re-exported here for the commands that import them from here).

import { GeckoCollectorError } from '../errors.ts';

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.ts';

export class UsageError extends GeckoCollectorError {
  readonly code = 'CLI_USAGE';
}
