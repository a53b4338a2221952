// The default number of collector threads follows the call budget (one per ~120 calls/min, at least 1, at
// most 8), in the library and in the CLI's settings; an explicit count is obeyed either way.
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../src/cli/cli-settings.ts';
import { collectSpecs } from '../../../src/cli/collect-specs.ts';
import { defaultCollectors, resolveRunSettings } from '../../../src/run/collection-options.ts';

describe('default collector threads', () => {
  it('one per ~120 calls/min, at least 1, at most 8', () => {
    expect([1, 30, 59, 60, 120, 179, 180, 500, 600, 960, 60_000].map(defaultCollectors)).toEqual([
      1, 1, 1, 1, 1, 1, 2, 4, 5, 8, 8,
    ]);
  });

  it('the library: 1 at the public rate, 4 with a key (500/min), an explicit count as given', () => {
    expect(resolveRunSettings({}).collectorsWanted).toBe(1);
    expect(resolveRunSettings({ apiKey: 'CG-k3y-for-tests' }).collectorsWanted).toBe(4);
    expect(resolveRunSettings({ callsPerMinute: 250 }).collectorsWanted).toBe(2);
    expect(resolveRunSettings({ collectors: 3 }).collectorsWanted).toBe(3);
    expect(resolveRunSettings({ collectors: 12, callsPerMinute: 30 }).collectorsWanted).toBe(12);
  });

  it('the CLI: the default follows --calls-per-minute and says so; --collectors and the config file win', () => {
    const specs = collectSpecs({ tty: false });
    const entry = (flags: Record<string, string>, env: NodeJS.ProcessEnv = {}) =>
      loadSettings(specs, flags, env).settings.entry('collectors');
    expect(entry({})).toMatchObject({ value: 1, source: 'default', note: 'one per 120 calls/min' });
    expect(entry({ 'calls-per-minute': '480' })).toMatchObject({ value: 4, source: 'default' });
    expect(entry({ 'api-key': 'CG-k3y-for-tests' })).toMatchObject({ value: 4, source: 'default' });
    expect(entry({ collectors: '3', 'calls-per-minute': '30' })).toMatchObject({ value: 3, source: 'flag' });
    expect(entry({}, { GECKO_COLLECTORS: '2' })).toMatchObject({ value: 2, source: 'env' });
  });
});
