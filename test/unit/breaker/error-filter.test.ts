// The default error filter: which failures say "the database is sick" (count) and which only say "this data
// is bad" (ignored), for every shape an error reaches the breaker in.

import { describe, expect, it } from 'vitest';
import { CircuitBreakerError } from '../../../src/breaker/circuit-breaker.ts';
import { defaultErrorFilter, findSqliteCode } from '../../../src/common/error-filter.ts';
import { ConfigError, WriteFailedError, WriterUnavailableError } from '../../../src/errors.ts';

const sqliteError = (code: string) => Object.assign(new Error(code), { code });

describe('defaultErrorFilter', () => {
  it.each([
    'SQLITE_BUSY',
    'SQLITE_LOCKED',
    'SQLITE_IOERR',
    'SQLITE_IOERR_FSYNC',
    'SQLITE_FULL',
    'SQLITE_READONLY',
    'SQLITE_READONLY_DBMOVED',
    'SQLITE_CANTOPEN',
    'SQLITE_CORRUPT',
  ])('%s counts as a failure', (code) => {
    expect(defaultErrorFilter(sqliteError(code))).toBe(true);
    expect(defaultErrorFilter(new WriteFailedError('write failed', code))).toBe(true);
  });

  it.each(['SQLITE_CONSTRAINT', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_NOTNULL', 'SQLITE_MISMATCH'])(
    '%s does not count',
    (code) => {
      expect(defaultErrorFilter(sqliteError(code))).toBe(false);
      expect(defaultErrorFilter(new WriteFailedError('write failed', code))).toBe(false);
    },
  );

  it('counts writer crashes, commit timeouts and unknown errors; ignores validation and config errors', () => {
    expect(defaultErrorFilter(new WriterUnavailableError('writer exited'))).toBe(true);
    expect(defaultErrorFilter({ code: 'COMMIT_TIMEOUT', message: 'commit took too long' })).toBe(true);
    expect(defaultErrorFilter(new Error('something odd'))).toBe(true);
    expect(defaultErrorFilter({ code: 'ROW_INVALID', message: 'bad row' })).toBe(false);
    expect(defaultErrorFilter(new ConfigError('maxBatchSize', 0, 'expected >= 1'))).toBe(false);
    expect(defaultErrorFilter(new CircuitBreakerError('writer', 'OPEN', 100))).toBe(false);
  });

  it('finds the SQLite code in a serialized nack and through cause chains', () => {
    const nack = { code: 'WRITE_FAILED', sqliteCode: 'SQLITE_CONSTRAINT_CHECK', message: 'CHECK constraint failed' };
    expect(findSqliteCode(nack)).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(defaultErrorFilter(nack)).toBe(false);

    const wrapped = new WriteFailedError('commit failed', undefined, { cause: sqliteError('SQLITE_FULL') });
    expect(findSqliteCode(wrapped)).toBe('SQLITE_FULL');
    expect(defaultErrorFilter(new Error('outer', { cause: wrapped }))).toBe(true);
    expect(defaultErrorFilter(new Error('outer', { cause: sqliteError('SQLITE_MISMATCH') }))).toBe(false);
  });
});
