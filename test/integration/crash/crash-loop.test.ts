// kill -9 of the whole collecting process, restart, check (invariants 2 and 3): every batch acked before the
// kill is in the file, whole; the spool is replayed; integrity_check ok. Plus: the check does catch damage.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { runCrashCycle, runCrashLoop } from './crash-cycle.ts';
import { batchTradeIds } from './crash-plan.ts';

const ROOT = REPO_ROOT;
const LOOP = path.join(import.meta.dirname, 'crash-loop.js');
const SEED = 7;

describe('crash loop (SIGKILL of the collecting process)', () => {
  // At collection time: tempDir's afterAll cleanup is not run when registered from inside a running test.
  const dir = tempDir('gecko-crash-');
  it('loses no acked batch and tears none, across 3 kills, with kills landing while batches are deferred', async () => {
    const dbPath = path.join(dir, 'loop.db');
    // 2 senders: every thread's start-up counts on a 2-core machine.
    const { cycles, total } = await runCrashLoop({
      dbPath,
      cycles: 3,
      seed: SEED,
      senders: 2,
      killWindowMs: [600, 1500],
    });
    for (const c of cycles) {
      expect({ cycle: c.cycle, childError: c.childError }).toEqual({ cycle: c.cycle, childError: null });
      expect(c.acked).toBeGreaterThan(0);
      expect({
        cycle: c.cycle,
        lost: c.lost,
        halfWritten: c.halfWritten,
        integrity: c.integrity,
        spoolLeft: c.spoolLeft,
        unaccounted: c.unaccountedRows,
      }).toEqual({
        cycle: c.cycle,
        lost: 0,
        halfWritten: 0,
        integrity: 'ok',
        spoolLeft: 0,
        unaccounted: 0,
      });
      expect(c.present).toBe(c.acked);
    }
    // 'mixed' runs isolate and disk-full drills in cycles 0 and 1: acks went through the spool.
    expect(cycles.filter((c) => c.deferred > 0).length).toBeGreaterThanOrEqual(1);
    expect(total.ok).toBe(true);
  });

  it('reports a lost and a half-written batch when the file is damaged after the restart', async () => {
    const dbPath = path.join(dir, 'tamper.db');
    const r = await runCrashCycle({
      dbPath,
      cycle: 0,
      seed: SEED,
      senders: 1,
      disrupt: 'none',
      killWindowMs: [300, 300],
      // Another program deleting rows (test-only): one acked batch entirely, one acked batch in part.
      tamper: (file, acks) => {
        const [whole, part] = acks;
        const db = new Database(file);
        try {
          const del = db.prepare('DELETE FROM trades WHERE id = ?');
          for (const id of batchTradeIds(whole!.first, whole!.count, SEED)) del.run(id);
          del.run(batchTradeIds(part!.first, part!.count, SEED)[0]!);
        } finally {
          db.close();
        }
      },
    });
    expect(r.acked).toBeGreaterThanOrEqual(2);
    expect({ lost: r.lost, halfWritten: r.halfWritten, ok: r.ok }).toEqual({ lost: 1, halfWritten: 1, ok: false });
    expect(r.lostBatches[0]).toMatchObject({ worker: 0, present: 0 });
    expect(r.halfWrittenBatches[0]).toMatchObject({ worker: 0, present: r.halfWrittenBatches[0]!.count - 1 });
  });

  it('CLI: --help exits 0 with usage, a bad flag exits 2 with one line', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [LOOP, ...args], { cwd: ROOT, encoding: 'utf8' });
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run test:crash/);
    const bad = run('--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const badValue = run('--cycles', '0');
    expect(badValue.status).toBe(2);
    expect(badValue.stderr).toContain('--cycles');
  });
});
