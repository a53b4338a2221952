// The error a collection run throws when it cannot run or every collector failed; bad options are ConfigErrors.

import { GeckoCollectorError } from '../errors.ts';

export class CollectionError extends GeckoCollectorError {
  readonly code = 'COLLECTION_FAILED';
}
