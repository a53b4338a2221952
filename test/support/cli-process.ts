// `gecko-collector …` as a child process that runs beside the test (a simulator, several collect processes):
// its output so far, and its exit code once it ends.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { BIN } from './repo.ts';

export interface CliProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  out(): string;
  /** The exit code (null after a signal), once the process has ended. */
  exited(): Promise<number | null>;
}

/** Starts the CLI with `args` in `cwd`; the caller kills what is still running after its test. */
export function spawnCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliProcess {
  let out = '';
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GECKO_LOG_LEVEL: 'warn', ...env },
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return {
    child,
    out: () => out,
    exited: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}
