// Users start Node with flags of their own (heap size, warnings): the writer, checkpointer and collector
// threads inherit them, and V8 flags a worker cannot take must not stop a run.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

describe('node flags', () => {
  it('a collection run starts its threads under V8 and process flags', () => {
    const db = path.join(tempDir('gecko-flags-'), 'flags.db');
    const run = spawnSync(
      process.execPath,
      [
        '--max-old-space-size=512',
        '--no-deprecation',
        BIN,
        'collect',
        '--simulate',
        '--duration',
        '2',
        '--collectors',
        '2',
        '--db',
        `sqlite:///${db}`,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, GECKO_LOG_LEVEL: 'warn' },
        timeout: 60_000,
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/stored == served: +yes/);
  }, 60_000);
});
