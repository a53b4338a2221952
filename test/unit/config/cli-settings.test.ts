// Settings precedence (flag > environment > config file > default) with the source of each value, the
// Python collector's config.yaml keys, refusal of unknown keys by path, one wording for a bad value from any
// source (a secret never echoed), and plain paths accepted wherever a database is named.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../src/cli/cli-settings.ts';
import { collectSpecs } from '../../../src/cli/collect-specs.ts';
import { commonSpecs } from '../../../src/cli/common-specs.ts';
import { databaseUrlFromInput } from '../../../src/config/database-url.ts';
import { SettingError } from '../../../src/config/setting-error.ts';
import { GECKO_PRO_API_BASE_URL } from '../../../src/gecko/gecko-client.ts';
import { REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-settings-');
const specs = collectSpecs({ tty: false });

function configFile(name: string, yaml: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, yaml);
  return file;
}

const PYTHON_CONFIG = `# the Python collector's config.yaml
database:
  url: sqlite:///from-file.db
  pool_size: 3
api:
  base_url: https://example.invalid/api/v2
  rate_limit: 20
collection:
  networks: [eth]
  interval: 5m
  workers: 6
watchlist:
  file: watchlist.csv
logging:
  level: WARNING
`;

describe('settings precedence', () => {
  it('flag > environment > config file > default, each value saying where it came from', () => {
    const file = configFile('python.yaml', PYTHON_CONFIG);
    const { settings } = loadSettings(
      specs,
      { config: file, collectors: '8' },
      {
        GECKO_COLLECTORS: '7',
        GECKO_POLL_INTERVAL: '90',
      },
    );
    expect(settings.entry('collectors')).toMatchObject({ value: 8, from: '--collectors', source: 'flag' });
    expect(settings.entry('poll-interval')).toMatchObject({ value: 90, from: 'GECKO_POLL_INTERVAL' });
    expect(settings.entry('network')).toMatchObject({ value: 'eth', from: `${file}: collection.networks` });
    expect(settings.entry('calls-per-minute')).toMatchObject({ value: 20, from: `${file}: api.rate_limit` });
    expect(settings.entry('db')).toMatchObject({ value: `sqlite:///${path.resolve('from-file.db')}`, source: 'file' });
    expect(settings.entry('pool-size')).toMatchObject({ value: 3, source: 'file' });
    expect(settings.entry('pools-file')).toMatchObject({ value: 'watchlist.csv', source: 'file' });
    expect(settings.entry('log-level')).toMatchObject({ value: 'warn', source: 'file' });
    expect(settings.entry('manager')).toMatchObject({ value: 'funnel', from: 'default' });
    // Without the flag and the variable, the file's value is used.
    const fileOnly = loadSettings(specs, {}, { GECKO_CONFIG: file }).settings;
    expect(fileOnly.entry('collectors')).toMatchObject({ value: 6, from: `${file}: collection.workers` });
    expect(fileOnly.entry('poll-interval')).toMatchObject({ value: 300, from: `${file}: collection.interval` });
  });

  it('an API key switches the defaults to the paid API (500 calls/min), unless set otherwise', () => {
    const keyed = loadSettings(specs, {}, { GECKO_API_KEY: 'CG-abcdefgh' }).settings;
    expect(keyed.entry('base-url')).toMatchObject({ value: GECKO_PRO_API_BASE_URL, note: 'with an API key' });
    expect(keyed.entry('calls-per-minute')).toMatchObject({ value: 500, from: 'default' });
    expect(keyed.entry('api-key')).toMatchObject({ secret: true, from: 'GECKO_API_KEY' });
    const keyless = loadSettings(specs, {}, {}).settings;
    expect(keyless.get('calls-per-minute')).toBe(30);
    expect(keyless.get('api-key')).toBeUndefined();
  });

  it('the example config file in examples/ loads as it is', () => {
    const file = path.join(REPO_ROOT, 'examples/config.yaml');
    const { settings } = loadSettings(specs, { config: file }, {});
    expect(settings.entry('metrics-port')).toMatchObject({ value: 9464, from: `${file}: monitoring.metrics_port` });
    // The top pools, not a watchlist file that an empty directory does not have.
    expect(settings.entry('top')).toMatchObject({ value: 20, source: 'file' });
    expect(settings.entry('pools-file')).toMatchObject({ source: 'unset' });
    expect(settings.entry('log-level')).toMatchObject({ value: 'info', source: 'file' });
  });

  it('an empty environment variable counts as unset', () => {
    expect(loadSettings(specs, {}, { GECKO_COLLECTORS: '' }).settings.entry('collectors')?.from).toBe('default');
  });
});

describe('bad settings: one line naming the source', () => {
  const bad = (flags: Record<string, string>, env: NodeJS.ProcessEnv = {}) => {
    try {
      loadSettings(specs, flags, env);
    } catch (err) {
      expect(err).toBeInstanceOf(SettingError);
      return (err as Error).message;
    }
    throw new Error('no error');
  };

  it.each([
    [
      { duration: '-1' },
      {},
      '--duration must be a duration in seconds from 0.1 to 31536000 (a number, or with a unit: 90s, 5m, 1h), got "-1"',
    ],
    [{ collectors: '-1' }, {}, '--collectors must be an integer from 1 to 256, got "-1"'],
    [{}, { GECKO_COLLECTORS: 'many' }, 'GECKO_COLLECTORS must be an integer from 1 to 256, got "many"'],
    [
      {},
      { GECKO_LOG_LEVEL: 'verbose' },
      'GECKO_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
    ],
    [{ db: 'postgres://x' }, {}, '--db must be a database file path, a sqlite:/// URL or a postgresql:// URL'],
    [{ db: 'postgres://x/y?schema=a-b' }, {}, 'schema must be a plain identifier'],
    [
      {},
      { GECKO_DB_URL: 'mysql://x' },
      'GECKO_DB_URL must be a database file path, a sqlite:/// URL or a postgresql:// URL',
    ],
  ])('%j %j', (flags, env, message) => {
    expect(bad(flags, env)).toContain(message);
  });

  it('never repeats a bad API key', () => {
    const message = bad({}, { GECKO_API_KEY: 'has a secret space' });
    expect(message).toBe('GECKO_API_KEY must be an API key (8 or more printable characters, no spaces)');
    // Too short to mask safely: it would be found inside the trades and pool names the API sends.
    expect(bad({}, { GECKO_API_KEY: 'k3y' })).toBe(
      'GECKO_API_KEY must be an API key (8 or more printable characters, no spaces)',
    );
  });

  it('refuses an unknown config key with its path and the keys that section has', () => {
    const file = configFile('typo.yaml', 'collection:\n  intervall: 60\n');
    const message = bad({ config: file });
    expect(message).toMatch(
      new RegExp(`^config file ${file}: unknown key collection\\.intervall \\(keys under collection: `),
    );
    expect(message).toContain('interval');
    expect(bad({ config: configFile('top.yaml', 'colection: {}\n') })).toMatch(
      /unknown key colection \(sections: api, batch, collection,/,
    );
    expect(bad({ config: configFile('logfile.yaml', 'logging:\n  file: /var/log/x.log\n') })).toMatch(
      /logging\.file: not supported: logs go to stderr/,
    );
  });

  it('names the file, line and column of a YAML syntax error, and a bad value by its key', () => {
    expect(bad({ config: configFile('broken.yaml', 'api:\n  base_url: [\n') })).toMatch(
      /^config file .*broken\.yaml: line \d+, column \d+: /,
    );
    const file = configFile('badvalue.yaml', 'collection:\n  workers: lots\n');
    expect(bad({ config: file })).toBe(`${file}: collection.workers must be an integer from 1 to 256, got "lots"`);
    expect(bad({ config: path.join(dir, 'missing.yaml') })).toMatch(
      /^cannot read config file ".*missing\.yaml": ENOENT$/,
    );
    expect(bad({ config: configFile('two.yaml', 'collection:\n  networks: [eth, solana]\n') })).toMatch(
      /collection\.networks must name one network/,
    );
  });
});

describe('--db', () => {
  it('takes a plain path or a sqlite:/// URL, relative to the working directory', () => {
    expect(databaseUrlFromInput('/tmp/x.db', '--db')).toBe('sqlite:////tmp/x.db');
    expect(databaseUrlFromInput('data/x.db', '--db', '/srv')).toBe('sqlite:////srv/data/x.db');
    expect(databaseUrlFromInput('sqlite:///x.db', '--db', '/srv')).toBe('sqlite:////srv/x.db');
    expect(databaseUrlFromInput('sqlite:////abs/x.db', '--db')).toBe('sqlite:////abs/x.db');
    expect(() => databaseUrlFromInput(':memory:', '--db')).toThrow(/in-memory/);
  });

  it('import and doctor read the same database setting as collect', () => {
    const common = commonSpecs({ tty: false }).map((s) => s.key);
    expect(common).toEqual(['db', 'log-level', 'log-format']);
    const { settings } = loadSettings(commonSpecs({ tty: false }), {}, { GECKO_DB_URL: '/var/lib/gecko/x.db' });
    expect(settings.get('db')).toBe('sqlite:////var/lib/gecko/x.db');
  });
});
