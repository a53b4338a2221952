// PostgreSQL pieces that need no server: the database URL (schema, masked password, local base path), the
// classification of node-postgres errors, and the simulator's check for two processes polling one pool at once.
import { describe, expect, it } from 'vitest';
import { resolveDatabaseConfig, writerSettingsFrom } from '../../../src/config/database-config.ts';
import { localBasePath, parsePostgresUrl } from '../../../src/config/postgres-url.ts';
import { stateDirectory } from '../../../src/config/state-directory.ts';
import { ConfigError } from '../../../src/errors.ts';
import { interleavedPolls } from '../../../src/sim/sim-report.ts';
import { classifyPgError } from '../../../src/storage/postgres/errors.ts';

describe('the state directory (where a PostgreSQL run keeps its spool, lock and metrics)', () => {
  const home = () => '/home/u';
  it("is systemd's StateDirectory= first, then $XDG_STATE_HOME/gecko-collector, then ~/.local/state/gecko-collector", () => {
    expect(stateDirectory({ STATE_DIRECTORY: '/var/lib/gecko-collector', XDG_STATE_HOME: '/x' }, home)).toBe(
      '/var/lib/gecko-collector',
    );
    expect(stateDirectory({ STATE_DIRECTORY: '/var/lib/a:/var/lib/b' }, home)).toBe('/var/lib/a');
    expect(stateDirectory({ XDG_STATE_HOME: '/x/state' }, home)).toBe('/x/state/gecko-collector');
    expect(stateDirectory({}, home)).toBe('/home/u/.local/state/gecko-collector');
  });

  it('ignores relative values, as the XDG spec asks (a relative one would be the working directory again)', () => {
    expect(stateDirectory({ STATE_DIRECTORY: 'state', XDG_STATE_HOME: '.' }, home)).toBe(
      '/home/u/.local/state/gecko-collector',
    );
  });
});

describe('PostgreSQL URL', () => {
  it('reads host, port, database and schema; masks the password; names the local files after the database', () => {
    const u = parsePostgresUrl('postgresql://gecko:s3cret@db.example:6543/trades?schema=collector&sslmode=disable');
    expect(u).toMatchObject({ host: 'db.example', port: 6543, database: 'trades', user: 'gecko', schema: 'collector' });
    expect(u.connectionString).toBe('postgresql://gecko:s3cret@db.example:6543/trades?sslmode=disable');
    expect(u.display).not.toContain('s3cret');
    expect(localBasePath(u, '/w')).toBe('/w/pg-db.example-6543-trades-collector');
    const s = writerSettingsFrom(resolveDatabaseConfig({ url: 'postgres://root@127.0.0.1/test' }));
    expect(s.path).toBe(`${stateDirectory()}/pg-127.0.0.1-5432-test`);
    expect(s.path.startsWith(process.cwd())).toBe(false);
    expect(s.postgres).toMatchObject({ database: 'test', schema: null, statementTimeoutMs: 30_000 });
    expect(s.checkpointIntervalMs).toBe(0);
  });

  it.each([['postgresql://host'], ['postgresql://host/db?schema=drop table'], ['postgresql://u:pw@host/a/b']])(
    'refuses %j without showing a password',
    (url) => {
      expect(() => resolveDatabaseConfig({ url })).toThrow(ConfigError);
      try {
        resolveDatabaseConfig({ url });
      } catch (err) {
        expect((err as Error).message).not.toContain(':pw@');
      }
    },
  );
});

describe('classifyPgError', () => {
  it.each([
    [{ code: '57014', message: 'canceling statement due to statement timeout' }, 'retry'],
    [{ code: '55P03', message: 'canceling statement due to lock timeout' }, 'retry'],
    [{ code: '40P01', message: 'deadlock detected' }, 'retry'],
    [{ code: '53100', message: 'could not extend file: No space left on device' }, 'retry'],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, 'reconnect'],
    [{ code: '57P03', message: 'the database system is starting up' }, 'reconnect'],
    [{ code: '08006', message: 'connection failure' }, 'reconnect'],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }, 'reconnect'],
    [{ message: 'Connection terminated unexpectedly' }, 'reconnect'],
    [{ message: 'Client has encountered a connection error and is not queryable' }, 'reconnect'],
    [{ code: '22P02', message: 'invalid input syntax for type numeric' }, 'bad_row'],
    [{ code: '23503', message: 'violates foreign key constraint' }, 'bad_row'],
    [{ code: '3D000', message: 'database "x" does not exist' }, 'fatal'],
    [{ code: '28P01', message: 'password authentication failed' }, 'fatal'],
    [{ code: '25P02', message: 'current transaction is aborted' }, 'fatal'],
  ])('%j → %s', (err, kind) => {
    expect(classifyPgError(Object.assign(new Error(err.message), err))).toBe(kind);
  });

  it('looks into the first error of a happy-eyeballs AggregateError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    expect(classifyPgError(new AggregateError([refused], ''))).toBe('reconnect');
  });
});

describe('interleavedPolls', () => {
  const p = (at: number, agent: string, pool = 'P') => ({ at, pool, agent });

  it('accepts a clean handover and finds two agents alternating on one pool within the window', () => {
    expect(interleavedPolls([p(0, 'A'), p(1000, 'A'), p(5000, 'B'), p(6000, 'B')], 3000)).toEqual([]);
    expect(interleavedPolls([p(0, 'A'), p(1000, 'B'), p(2000, 'A')], 3000)).toEqual([
      { pool: 'P', agents: ['A', 'B'], at: 2000 },
    ]);
    // Back to the first holder, but after a lease period: a later lease, not two at once.
    expect(interleavedPolls([p(0, 'A'), p(1000, 'B'), p(4000, 'A')], 3000)).toEqual([]);
    expect(interleavedPolls([p(0, 'A', 'X'), p(500, 'B', 'Y'), p(1000, 'A', 'X')], 3000)).toEqual([]);
  });
});
