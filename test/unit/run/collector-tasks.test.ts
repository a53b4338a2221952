// What reaches a collector thread: the run's settings as the user configured them, not the defaults.
import { describe, expect, it } from 'vitest';
import { type CollectionOptions, resolveRunSettings } from '../../../src/run/collection-options.ts';
import { collectorTask } from '../../../src/run/collector-tasks.ts';

const shared = {
  network: 'solana',
  baseUrl: 'http://127.0.0.1:1',
  rateLimiterBuffer: new SharedArrayBuffer(8),
  stopBuffer: new SharedArrayBuffer(4),
  countersBuffer: new SharedArrayBuffer(8),
};

describe('collectorTask', () => {
  it('carries DatabaseConfig.maxInFlight to the collector (its writer client and the unbatched submitter)', () => {
    const options: CollectionOptions = { dbUrl: 'sqlite:///t.db', database: { maxInFlight: 3 }, batching: false };
    const task = collectorTask(0, [], resolveRunSettings(options), options, shared);
    expect(task.maxInFlight).toBe(3);
    expect(task.batching).toBe(false);
  });

  it('uses the default in-flight bound when none is configured', () => {
    const task = collectorTask(1, [], resolveRunSettings({ dbUrl: 'sqlite:///t.db' }), {}, shared);
    expect(task.maxInFlight).toBe(8);
    expect(task.collectorId).toBe(1);
  });
});
