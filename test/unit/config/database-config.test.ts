import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BATCH_PRESETS, resolveBatchConfig } from '../../../src/config/batch-config.ts';
import { resolveDatabaseConfig, writerSettingsFrom } from '../../../src/config/database-config.ts';
import { databasePathFromUrl, databaseUrlFromInput } from '../../../src/config/database-url.ts';
import { ConfigError } from '../../../src/errors.ts';

describe('database url', () => {
  it('accepts relative and absolute sqlite URLs', () => {
    expect(databasePathFromUrl('sqlite:///gecko_data.db', '/work/x')).toBe('/work/x/gecko_data.db');
    expect(databasePathFromUrl('sqlite:///data/g.db', '/w')).toBe(path.join('/w', 'data/g.db'));
    expect(databasePathFromUrl('sqlite:////abs/path.db', '/w')).toBe('/abs/path.db');
  });

  it.each([
    ['postgresql://localhost/db'],
    ['sqlite://host/db.db'],
    ['sqlite:///'],
    ['sqlite:///:memory:'],
    ['gecko_data.db'],
    [''],
  ])('rejects %j with a ConfigError naming field and value', (url) => {
    try {
      databasePathFromUrl(url);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('CONFIG_INVALID');
      expect((err as ConfigError).field).toBe('url');
      expect((err as Error).message).toContain(JSON.stringify(url));
    }
  });
});

describe("the library's url takes what --db takes", () => {
  it.each([
    ['gecko_data.db'],
    ['data/g.db'],
    ['/abs/path.db'],
    ['sqlite:///gecko_data.db'],
    ['sqlite:////abs/path.db'],
    ['postgresql://root@127.0.0.1/test?schema=s'],
  ])('%j reads the same in DatabaseConfig.url and --db', (input) => {
    const canonical = databaseUrlFromInput(input, '--db');
    expect(resolveDatabaseConfig({ url: input }).url).toBe(canonical);
    if (!canonical.startsWith('postgresql:'))
      expect(writerSettingsFrom(resolveDatabaseConfig({ url: input })).path).toBe(
        path.resolve(input.replace(/^sqlite:\/\/\//, '')),
      );
  });

  it.each([['mysql://x/db'], [':memory:'], ['sqlite:///:memory:'], ['   '], ['postgresql://u:pw@host']])(
    '%j is refused by both, each naming where it came from, never the password',
    (input) => {
      expect(() => databaseUrlFromInput(input, '--db')).toThrow(/^--db must be a database file path/);
      try {
        resolveDatabaseConfig({ url: input });
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).field).toBe('url');
        expect((err as Error).message).toMatch(/expected a database file path/);
        expect((err as Error).message).not.toContain(':pw@');
      }
    },
  );
});

describe('DatabaseConfig', () => {
  it('fills defaults and derives writer settings', () => {
    const cfg = resolveDatabaseConfig({ url: 'sqlite:////tmp/a.db', synchronous: 'FULL' });
    expect(cfg.busyTimeoutMs).toBe(5000);
    expect(cfg.poolSize).toBe(2);
    const s = writerSettingsFrom(cfg);
    expect(s.path).toBe('/tmp/a.db');
    expect(s.synchronous).toBe('FULL');
  });

  it('names the bad field', () => {
    expect(() => resolveDatabaseConfig({ busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs -1/);
    expect(() => resolveDatabaseConfig({ synchronous: 'OFF' as never })).toThrow(/synchronous "OFF".*NORMAL, FULL/);
    expect(() => resolveDatabaseConfig({ poolSiz: 3 } as never)).toThrow(/poolSiz 3: unknown DatabaseConfig field/);
    expect(() => resolveDatabaseConfig({ url: 'mysql://x' })).toThrow(ConfigError);
  });
});

describe('BatchConfig presets', () => {
  it("match the Python collector's presets", () => {
    expect(BATCH_PRESETS.production).toEqual({ maxBatchSize: 200, maxWaitMs: 2000, maxRetries: 5, retryDelayMs: 100 });
    expect(BATCH_PRESETS.development).toEqual({ maxBatchSize: 50, maxWaitMs: 1000, maxRetries: 3, retryDelayMs: 200 });
    expect(resolveBatchConfig('development').maxBatchSize).toBe(50);
    expect(() => resolveBatchConfig('staging' as never)).toThrow(/preset "staging"/);
    expect(() => resolveBatchConfig({ maxBatchSize: 0 })).toThrow(/maxBatchSize 0/);
  });
});
