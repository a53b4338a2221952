// BatchConfig and its two presets (production, development).

import { ConfigError } from '../errors.ts';

export interface BatchConfig {
  /** Flush as soon as this many items are pending. */
  maxBatchSize: number;
  /** Flush pending items at the latest this long after the first one arrived. */
  maxWaitMs: number;
  /** Attempts after the first before a batch is handed back to the caller. */
  maxRetries: number;
  /** First retry delay; doubles each retry (with jitter). */
  retryDelayMs: number;
}

export const BATCH_PRESETS = Object.freeze({
  production: Object.freeze({ maxBatchSize: 200, maxWaitMs: 2000, maxRetries: 5, retryDelayMs: 100 }),
  development: Object.freeze({ maxBatchSize: 50, maxWaitMs: 1000, maxRetries: 3, retryDelayMs: 200 }),
} satisfies Record<string, BatchConfig>);

export type BatchPresetName = keyof typeof BATCH_PRESETS;

export function resolveBatchConfig(input: Partial<BatchConfig> | BatchPresetName = 'production'): BatchConfig {
  if (typeof input === 'string') {
    const preset = (BATCH_PRESETS as Record<string, BatchConfig>)[input];
    if (!preset) throw new ConfigError('preset', input, `expected one of ${Object.keys(BATCH_PRESETS).join(', ')}`);
    return { ...preset };
  }
  const cfg = { ...BATCH_PRESETS.production, ...input };
  const check = (field: keyof BatchConfig, min: number) => {
    const v = cfg[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new ConfigError(field, v, `expected an integer >= ${min}`);
    }
  };
  check('maxBatchSize', 1);
  check('maxWaitMs', 0);
  check('maxRetries', 0);
  check('retryDelayMs', 0);
  return cfg;
}
