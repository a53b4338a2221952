// The npm scripts of package.json as a user runs them: each `node dist/…` target exists once built, and each
// bench script (and the crash loop) answers --help with its usage, exit 0, without starting a run. bench:pg is
// given an unreachable --db: a --help that ran the benchmark would fail there instead of printing help.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/repo.ts';

const scripts = (
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

/** The compiled file a script runs (`… && node dist/bench/load.js`), or undefined for other scripts. */
function target(command: string): string | undefined {
  return /\bnode (dist\/\S+\.js)\b/.exec(command)?.[1];
}

const runnable = Object.entries(scripts).flatMap(([name, command]) => {
  const file = target(command);
  return file === undefined ? [] : [{ name, file }];
});

describe('npm scripts', () => {
  it('every script that runs a compiled file points at one that exists', () => {
    expect(runnable.map((r) => r.name)).toEqual(expect.arrayContaining(['test:crash', 'bench:pg', 'bench:load']));
    for (const { name, file } of runnable)
      expect(fs.existsSync(path.join(REPO_ROOT, file)), `${name}: ${file}`).toBe(true);
  });

  it('every bench script and the crash loop print their usage on --help and run nothing', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, GECKO_LOG_LEVEL: 'error' };
    delete env.VITEST;
    const results = await Promise.all(
      runnable
        .filter(({ name }) => name.startsWith('bench:') || name === 'test:crash')
        .map(async ({ name, file }) => {
          const args = [
            file,
            '--help',
            ...(name === 'bench:pg' ? ['--db', 'postgresql://nobody@127.0.0.1:9/none'] : []),
          ];
          const r = await promisify(execFile)(process.execPath, args, { cwd: REPO_ROOT, env, timeout: 60_000 }).then(
            (out) => ({ code: 0, ...out }),
            (err: { code?: number; stdout?: string; stderr?: string }) => ({
              code: err.code ?? -1,
              stdout: err.stdout ?? '',
              stderr: err.stderr ?? '',
            }),
          );
          return { name, ...r };
        }),
    );
    expect(results.length).toBeGreaterThan(8);
    for (const r of results) {
      expect(r.code, `${r.name}: ${r.stderr}`).toBe(0);
      expect(r.stdout, r.name).toMatch(/^usage: /);
      expect(r.stdout.split('\n').length, r.name).toBeLessThan(30);
    }
  });
});
