// Runs a bench script in a child process of its own (its own RSS and CPU figures) and parses the JSON it prints.

import { spawn } from 'node:child_process';

/**
 * `label` names the child in the error thrown when it fails (with the last lines of its stderr). With `stopWhen`,
 * the child is sent SIGTERM once it returns true (checked every 100 ms), for a child that runs until stopped.
 */
export async function runChildJson<T>(
  entry: string,
  args: readonly string[],
  label: string,
  env: NodeJS.ProcessEnv = process.env,
  stopWhen?: () => boolean,
): Promise<T> {
  const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const watch = stopWhen
    ? setInterval(() => {
        if (!stopWhen()) return;
        clearInterval(watch);
        child.kill('SIGTERM');
      }, 100)
    : undefined;
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearInterval(watch));
  if (code !== 0) throw new Error(`${label} exited with ${code}: ${err.trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(out) as T;
}
