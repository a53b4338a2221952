// A deferral survives the process dying: a child process defers batches and prints each seq once defer()
// resolved; it is SIGKILLed mid-way, and every printed seq must be in the reopened spool, in order, unchanged.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import type { WritePayload } from '../../../src/protocol/messages.ts';
import { DeferredQueue } from '../../../src/spool/deferred-queue.ts';
import { REPO_ROOT } from '../../support/repo.ts';
import { makePayload } from '../../support/spool-payloads.ts';
import { tempDir } from '../../support/temp-dir.ts';

const CHILD = path.join(import.meta.dirname, 'fixtures/defer-child.js');
const ROOT = REPO_ROOT;
const KILL_AFTER = 60;

describe('deferred queue after SIGKILL', () => {
  it('keeps every batch whose defer() resolved before the kill, in order, with identical payloads', async () => {
    const spool = path.join(tempDir('gecko-deferred-crash-'), 'gecko_data.db.spool');
    const child = spawn(process.execPath, [CHILD, spool], {
      cwd: ROOT,
      env: { ...process.env, GECKO_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );

    const printed: { index: number; seq: number }[] = [];
    const lines = createInterface({ input: child.stdout });
    for await (const line of lines) {
      const [index, seq] = line.split(' ').map(Number);
      printed.push({ index: index!, seq: seq! });
      if (printed.length === KILL_AFTER) {
        child.kill('SIGKILL');
        break;
      }
    }
    const { signal } = await exited;
    expect(stderr).toBe('');
    expect(signal).toBe('SIGKILL');
    expect(printed).toHaveLength(KILL_AFTER);

    const queue = DeferredQueue.open(spool);
    try {
      const replayed: { seq: number; payload: WritePayload }[] = [];
      await queue.replay(async (payload, { seq }) => {
        replayed.push({ seq, payload });
      });
      // The child may have committed a few more than it managed to print; it can never have fewer.
      expect(replayed.length).toBeGreaterThanOrEqual(printed.length);
      expect(replayed.slice(0, printed.length).map((r) => r.seq)).toEqual(printed.map((p) => p.seq));
      // Every batch present is intact and in enqueue order, the unprinted tail included.
      expect(replayed.map((r) => r.payload)).toEqual(replayed.map((_, i) => makePayload(i)));
      expect(printed.map((p) => p.index)).toEqual(printed.map((_, i) => i));
      expect(queue.depth().batches).toBe(0);
    } finally {
      await queue.close();
    }
  });
});
