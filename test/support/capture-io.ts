// String-collecting stdout/stderr for calling CLI commands in-process through main([...], io).
import { Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/command.ts';

export interface CapturedIo {
  io: CliIo;
  stdout(): string;
  stderr(): string;
}

export function captureIo(): CapturedIo {
  const text = { stdout: '', stderr: '' };
  const sink = (which: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        text[which] += chunk.toString();
        done();
      },
    });
  return {
    io: { stdout: sink('stdout'), stderr: sink('stderr') },
    stdout: () => text.stdout,
    stderr: () => text.stderr,
  };
}
