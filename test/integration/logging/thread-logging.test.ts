// Every thread logs where the caller's logger writes, at its level: a library caller's silent pino silences the
// writer and collector threads too (even with GECKO_LOG_LEVEL=trace in the environment), a capturing one gets
// their records; a bad GECKO_LOG_LEVEL is a one-line warning for the library, never an exception.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { compiled, REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const run = promisify(execFile);
const dir = tempDir('gecko-logging-');
const SCRIPT = compiled('test/integration/logging/fixtures/library-run.ts');

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete e.VITEST;
  return e;
}

describe('thread logging', () => {
  it("a library caller's silent logger silences every thread", async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [SCRIPT, 'silent', urlFromDatabasePath(path.join(dir, 'silent.db'))],
      { env: env({ GECKO_LOG_LEVEL: 'trace' }) },
    );
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as { stored: number; components: string[] };
    expect(out.stored).toBeGreaterThan(0);
    expect(out.components).toEqual([]);
  });

  it("a library caller's logger receives the writer's and collectors' records, and nothing goes to stderr", async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [SCRIPT, 'capture', urlFromDatabasePath(path.join(dir, 'capture.db'))],
      { env: env({ GECKO_LOG_LEVEL: 'silent' }) },
    );
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as { stored: number; components: string[] };
    expect(out.components).toEqual(expect.arrayContaining(['collection', 'collector', 'db-manager', 'writer']));
  });

  it('a bad GECKO_LOG_LEVEL: importing the library warns in one line and goes on at info', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist/src/index.js'))}); console.log(typeof m.runCollection);`,
      ],
      { env: env({ GECKO_LOG_LEVEL: 'verbose' }) },
    );
    expect(stdout).toBe('function\n');
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 40,
      msg: 'GECKO_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"; logging at info',
    });
  });
});
