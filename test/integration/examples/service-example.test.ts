// The shipped service files as a new operator meets them: examples/config.yaml starts and collects from an
// empty directory (the simulator standing in for the API; only the duration, ports and pace a test needs are
// overridden), `config --print` checks the files it names, a missing one is named by its config key and file,
// and the systemd unit names Node and the program by absolute path and rates ≤ 4 in `systemd-analyze security`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const exec = promisify(execFile);
const CONFIG = path.join(REPO_ROOT, 'examples/config.yaml');
const UNIT = path.join(REPO_ROOT, 'examples/gecko-collector.service');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI in its own process, in `cwd`, with the environment a service gets (no terminal, no test flags). */
async function gecko(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const base: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of Object.keys(base)) if (k.startsWith('GECKO_') || k === 'VITEST') delete base[k];
  try {
    const r = await exec(process.execPath, [BIN, ...args], { cwd, env: { ...base, ...env }, timeout: 90_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('examples/config.yaml', () => {
  it('starts and collects from an empty directory as written (the simulator for the API)', async () => {
    const dir = tempDir('gecko-example-run-');
    // As the unit runs it: the working directory is the (empty) state directory.
    const run = await gecko(
      [
        'collect',
        '--config',
        CONFIG,
        ...['--simulate', '--duration', '4', '--metrics-port', '0'],
        ...['--calls-per-minute', '600', '--poll-interval', '1', '--json'],
      ],
      dir,
      { STATE_DIRECTORY: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      stored: number;
      pools: number;
      poolSource: string;
      simulator: { allServedStored: boolean };
    };
    expect(summary.poolSource).toMatch(/^top 20 of solana/);
    expect(summary.pools).toBeGreaterThan(0);
    expect(summary.stored).toBeGreaterThan(0);
    expect(summary.simulator.allServedStored).toBe(true);
    expect(fs.readdirSync(dir)).toContain('gecko_data.db');
    expect(run.stderr).toMatch(/metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/);
  });

  it('config --print checks the files it names: all usable in an empty directory', async () => {
    const dir = tempDir('gecko-example-print-');
    const r = await gecko(['config', '--print', '--config', CONFIG, '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { files: { setting: string; path: string; state: string; from: string }[] };
    expect(out.files).toEqual([
      {
        setting: 'db',
        from: `database.url in ${CONFIG}`,
        path: path.join(fs.realpathSync(dir), 'gecko_data.db'),
        state: 'created',
        detail: `the first run creates it in ${fs.realpathSync(dir)}`,
      },
    ]);
  });

  it('a missing watchlist file: config --print and collect name the config key and file, not a flag', async () => {
    const dir = tempDir('gecko-example-missing-');
    const config = path.join(dir, 'config.yaml');
    // The operator swaps top_pools for the watchlist the comments offer, without copying the file in.
    const text = fs
      .readFileSync(CONFIG, 'utf8')
      .replace(/^ {2}top_pools: 20.*$/m, '')
      .replace('  # file: watchlist.csv', '  file: watchlist.csv');
    expect(text).toMatch(/^watchlist:.*\n {2}file: watchlist\.csv/m);
    fs.writeFileSync(config, text);
    const missing = path.join(fs.realpathSync(dir), 'watchlist.csv');

    const print = await gecko(['config', '--print', '--config', config], dir);
    expect(print.code).toBe(2);
    expect(print.stdout).toMatch(new RegExp(`pools-file +MISSING: ${missing} \\(no such file or directory`));
    expect(print.stderr).toBe(
      `gecko-collector config: watchlist.file in ${config} names ${missing}: no such file or directory; collect would not start\n`,
    );

    const collect = await gecko(['collect', '--config', config, '--simulate', '--duration', '1'], dir);
    expect(collect.code).toBe(2);
    expect(collect.stderr).toBe(
      `gecko-collector collect: cannot read watchlist.file in ${config} "watchlist.csv" (${missing}): ENOENT\n`,
    );
    expect(collect.stderr).not.toContain('--pools-file');
  });
});

describe('examples/gecko-collector.service', () => {
  const unit = fs.readFileSync(UNIT, 'utf8');

  it('names Node and the program by absolute path, the installed package bin, with the example config', () => {
    const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1]?.split(' ') ?? [];
    expect(exec.slice(0, 2)).toEqual([
      '/usr/bin/node',
      '/usr/lib/node_modules/gecko-collector/bin/gecko-collector.mjs',
    ]);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(exec[1]!.endsWith(pkg.bin['gecko-collector']!)).toBe(true);
    expect(exec.slice(2)).toEqual(['collect', '--config', '/etc/gecko-collector/config.yaml']);
    expect(unit).toMatch(/^StateDirectory=gecko-collector$/m);
    expect(unit).toMatch(/^WorkingDirectory=\/var\/lib\/gecko-collector$/m);
    // V8's JIT needs writable code pages: the unit must not deny them.
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=yes/m);
  });

  it('systemd-analyze security rates it 4 or lower (exposure)', async () => {
    // systemd-analyze reads the unit offline: nothing is installed or started.
    const r = await exec('systemd-analyze', ['security', '--offline=yes', '--no-pager', UNIT]).catch(
      (err: { stdout?: string; stderr?: string }) => err,
    );
    const m = /Overall exposure level for gecko-collector\.service: (\d+\.\d)/.exec(`${r.stdout}`);
    expect(m, `${r.stdout}${r.stderr}`).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(4);
  });
});
