// The CLI run in-process through main(), its output captured: for the tests of `collect` (and `doctor`) runs.
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/command.ts';
import { main } from '../../src/cli/main.ts';

export interface CapturedIo {
  io: CliIo;
  /** Everything written to io.stdout so far (grows while the command runs). */
  stdout: string;
  /** Everything written to io.stderr so far. */
  stderr: string;
}

export function captureIo(): CapturedIo {
  const out = new PassThrough();
  const err = new PassThrough();
  const captured: CapturedIo = { io: { stdout: out, stderr: err }, stdout: '', stderr: '' };
  out.on('data', (d: Buffer) => (captured.stdout += d.toString()));
  err.on('data', (d: Buffer) => (captured.stderr += d.toString()));
  return captured;
}

/** `gecko-collector ARGS…` in-process: the exit code and what it printed. */
export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = captureIo();
  const code = await main(args, c.io);
  return { code, stdout: c.stdout, stderr: c.stderr };
}

/** A count as the summary prints it (`24,000`). */
export function num(text: string): number {
  return Number(text.replace(/,/g, ''));
}

/** The value of `  NAME:  value` in the collection summary. */
export function field(summary: string, name: string): string {
  const m = new RegExp(`^\\s+${name.replace(/[()]/g, '\\$&')}:\\s+(.*)$`, 'm').exec(summary);
  if (!m) throw new Error(`no "${name}" in summary:\n${summary}`);
  return m[1]!;
}
