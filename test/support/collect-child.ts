// `gecko-collector collect …` as a child process, the way users run it: its exit code, stdout (the --json
// summary), stderr (json log lines), and its peak resident memory, sampled from /proc/<pid>/status (VmHWM).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { BIN } from './repo.ts';

export interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Highest VmHWM seen (kB → MB); 0 where /proc is not available. */
  peakRssMb: number;
}

function vmHwmKb(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs it to its end; with `stopWhen`, sends SIGTERM (a clean stop: flush, drain, summary) once that holds,
 * checked every `sampleMs`. `env` is added to this process's environment; `cwd` is the child's (default this one's).
 */
export async function runCollectChild(
  args: readonly string[],
  sampleMs = 50,
  { env: extraEnv = {}, stopWhen, cwd }: { env?: NodeJS.ProcessEnv; stopWhen?: () => boolean; cwd?: string } = {},
): Promise<ChildRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env.VITEST;
  const child = spawn(process.execPath, [BIN, 'collect', ...args], {
    env,
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let peakKb = 0;
  const pid = child.pid!;
  let stopped = false;
  const timer = setInterval(() => {
    peakKb = Math.max(peakKb, vmHwmKb(pid));
    if (stopWhen && !stopped && stopWhen()) stopped = child.kill('SIGTERM');
  }, sampleMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(timer);
  return { code, stdout, stderr, peakRssMb: Math.round(peakKb / 1024) };
}

/** The json log lines of a run's stderr (other lines skipped). */
export function logLines(stderr: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by the exit
    }
  }
  return out;
}
