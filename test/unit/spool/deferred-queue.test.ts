// DeferredQueue: durable deferral, in-order replay that stops at the first failure, reopen after close,
// one replay at a time, high/low-water backpressure, and clear errors when the spool cannot be written.

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StateError, WriteFailedError } from '../../../src/errors.ts';
import type { WritePayload } from '../../../src/protocol/messages.ts';
import {
  DeferredQueue,
  DeferredQueueError,
  type DeferredQueueOptions,
  type ReplayInfo,
  SPOOL_APPLICATION_ID,
} from '../../../src/spool/deferred-queue.ts';
import { defaultSpoolPath } from '../../../src/spool/spool-location.ts';
import { payloadRows } from '../../../src/spool/spool-payload.ts';
import { makePayload } from '../../support/spool-payloads.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-deferred-');
let n = 0;
const opened: DeferredQueue[] = [];

function spoolPath(): string {
  return path.join(dir, `case-${++n}.db.spool`);
}

function open(file: string, options: DeferredQueueOptions = {}): DeferredQueue {
  const q = DeferredQueue.open(file, options);
  opened.push(q);
  return q;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((q) => q.close()));
});

/** A write that records what it got and succeeds. */
function recorder() {
  const calls: { payload: WritePayload; info: ReplayInfo }[] = [];
  const write = async (payload: WritePayload, info: ReplayInfo) => {
    calls.push({ payload, info });
  };
  return { calls, write };
}

/** Tracks whether a promise settled, without leaving a rejection unhandled. */
function track(p: Promise<unknown>) {
  const s = { settled: false, ok: null as boolean | null, error: undefined as unknown };
  p.then(
    () => Object.assign(s, { settled: true, ok: true }),
    (error: unknown) => Object.assign(s, { settled: true, ok: false, error }),
  );
  return s;
}

/** Lets every already-queued microtask and immediate run. */
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('defer and replay', () => {
  it('replays batches in seq order with identical payloads and empties the spool', async () => {
    let now = 1_000_000;
    const q = open(spoolPath(), { now: () => now });
    const events: string[] = [];
    q.on('deferred', (seq, rows) => events.push(`deferred ${seq} ${rows}`));
    q.on('replayed', (seq, rows) => events.push(`replayed ${seq} ${rows}`));
    q.on('drained', () => events.push('drained'));

    expect(q.depth()).toEqual({ batches: 0, rows: 0, oldestAgeMs: null, bytes: 0 });
    // Three in one turn (one group commit), then two more one by one.
    const first = await Promise.all([q.defer(makePayload(0)), q.defer(makePayload(1)), q.defer(makePayload(2, 5))]);
    now += 500;
    const later = [await q.defer(makePayload(3)), await q.defer(makePayload(4))];
    expect([...first, ...later]).toEqual([1, 2, 3, 4, 5]);

    const rowsTotal = [0, 1, 2, 3, 4].reduce((sum, i) => sum + payloadRows(makePayload(i, i === 2 ? 5 : 2)), 0);
    now += 250;
    const depth = q.depth();
    expect(depth).toMatchObject({ batches: 5, rows: rowsTotal, oldestAgeMs: 750 });
    expect(depth.bytes).toBeGreaterThan(5 * 1000);

    const { calls, write } = recorder();
    const result = await q.replay(write);
    expect(result).toEqual({ replayed: 5, failed: 0, remaining: 0 });
    expect(calls.map((c) => c.info.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(calls.map((c) => c.payload)).toEqual([0, 1, 2, 3, 4].map((i) => makePayload(i, i === 2 ? 5 : 2)));
    expect(q.depth()).toEqual({ batches: 0, rows: 0, oldestAgeMs: null, bytes: 0 });
    expect(events.filter((e) => e.startsWith('deferred'))).toEqual([
      'deferred 1 3',
      'deferred 2 3',
      'deferred 3 6',
      'deferred 4 3',
      'deferred 5 3',
    ]);
    expect(events.slice(5)).toEqual([
      'replayed 1 3',
      'replayed 2 3',
      'replayed 3 6',
      'replayed 4 3',
      'replayed 5 3',
      'drained',
    ]);

    // Nothing left: another run writes nothing.
    expect(await q.replay(write)).toEqual({ replayed: 0, failed: 0, remaining: 0 });
    expect(calls).toHaveLength(5);
  });

  it('stops at the first failure, keeps that batch and the rest in order, and records attempts and last_error', async () => {
    const q = open(spoolPath());
    for (let i = 0; i < 5; i++) await q.defer(makePayload(i));
    const failed: number[] = [];
    q.on('replayFailed', (seq) => failed.push(seq));

    const seen: number[] = [];
    const failOn3 = async (_p: WritePayload, info: ReplayInfo) => {
      seen.push(info.seq);
      if (info.seq === 3) throw new WriteFailedError('database is locked', 'SQLITE_BUSY');
    };
    expect(await q.replay(failOn3)).toEqual({ replayed: 2, failed: 1, remaining: 3 });
    expect(seen).toEqual([1, 2, 3]);
    expect(q.depth().batches).toBe(3);
    let left = q.peek();
    expect(left.map((b) => [b.seq, b.attempts])).toEqual([
      [3, 1],
      [4, 0],
      [5, 0],
    ]);
    expect(left[0]!.lastError).toBe('WRITE_FAILED: database is locked');
    expect(left.map((b) => b.payload)).toEqual([2, 3, 4].map((i) => makePayload(i)));

    // Fails again: the counter keeps climbing and the write sees it.
    const attemptsSeen: number[] = [];
    await q.replay(async (_p, info) => {
      attemptsSeen.push(info.attempts);
      throw new Error('still down');
    });
    left = q.peek();
    expect(left[0]).toMatchObject({ seq: 3, attempts: 2, lastError: 'still down' });
    expect(attemptsSeen).toEqual([1]);
    expect(failed).toEqual([3, 3]);

    const { calls, write } = recorder();
    expect(await q.replay(write)).toEqual({ replayed: 3, failed: 0, remaining: 0 });
    expect(calls.map((c) => c.info.seq)).toEqual([3, 4, 5]);
  });

  it('finds batches again after close and reopen, and replays them once', async () => {
    const file = spoolPath();
    const q1 = open(file);
    for (let i = 0; i < 4; i++) await q1.defer(makePayload(i));
    await q1.replay(async (_p, info) => {
      if (info.seq === 2) throw new Error('writer down');
    });
    const before = q1.depth();
    await q1.close();

    const q2 = open(file);
    expect(q2.depth()).toMatchObject({ batches: before.batches, rows: before.rows, bytes: before.bytes });
    expect(q2.peek().map((b) => [b.seq, b.attempts, b.lastError])).toEqual([
      [2, 1, 'writer down'],
      [3, 0, null],
      [4, 0, null],
    ]);
    const { calls, write } = recorder();
    expect(await q2.replay(write)).toEqual({ replayed: 3, failed: 0, remaining: 0 });
    expect(calls.map((c) => c.payload)).toEqual([1, 2, 3].map((i) => makePayload(i)));
    // New seqs keep climbing past the old ones (AUTOINCREMENT): replay order stays enqueue order.
    expect(await q2.defer(makePayload(9))).toBe(5);
    await q2.close();

    const q3 = open(file);
    expect(q3.peek().map((b) => b.seq)).toEqual([5]);
  });

  it('never runs two replays at once: concurrent calls write each batch exactly once', async () => {
    const q = open(spoolPath(), { replayChunkSize: 2 });
    for (let i = 0; i < 7; i++) await q.defer(makePayload(i));
    const counts = new Map<number, number>();
    let running = 0;
    let maxRunning = 0;
    const slowWrite = async (_p: WritePayload, info: ReplayInfo) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      counts.set(info.seq, (counts.get(info.seq) ?? 0) + 1);
      await turn();
      running--;
    };
    const results = await Promise.all([
      q.replay(slowWrite),
      q.replay(slowWrite),
      q.replay(slowWrite, { maxBatches: 3 }),
    ]);
    expect(results[0]).toEqual({ replayed: 7, failed: 0, remaining: 0 });
    expect(results[1]).toEqual({ replayed: 0, failed: 0, remaining: 0 });
    expect(results[2]).toEqual({ replayed: 0, failed: 0, remaining: 0 });
    expect([...counts.entries()]).toEqual([1, 2, 3, 4, 5, 6, 7].map((s) => [s, 1]));
    expect(maxRunning).toBe(1);
  });

  it('limits a run with maxBatches and an abort signal, and picks up batches deferred during a run', async () => {
    const q = open(spoolPath(), { replayChunkSize: 2 });
    for (let i = 0; i < 5; i++) await q.defer(makePayload(i));
    const { calls, write } = recorder();
    expect(await q.replay(write, { maxBatches: 2 })).toEqual({ replayed: 2, failed: 0, remaining: 3 });

    const ac = new AbortController();
    const abortAfterFirst = async (p: WritePayload, info: ReplayInfo) => {
      await write(p, info);
      ac.abort();
    };
    expect(await q.replay(abortAfterFirst, { signal: ac.signal })).toEqual({ replayed: 1, failed: 0, remaining: 2 });

    // A batch deferred while a run is going is part of that run (seq order is enqueue order).
    let added = false;
    const addOne = async (p: WritePayload, info: ReplayInfo) => {
      await write(p, info);
      if (!added) {
        added = true;
        await q.defer(makePayload(99));
      }
    };
    expect(await q.replay(addOne)).toEqual({ replayed: 3, failed: 0, remaining: 0 });
    expect(calls.map((c) => c.info.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(calls[5]!.payload).toEqual(makePayload(99));
  });

  it('stores only the batch content: a stale batchId or kind cannot ride along into the replay', async () => {
    const q = open(spoolPath());
    const message = { kind: 'write' as const, batchId: 41, ...makePayload(1) };
    await q.defer(message);
    const { calls, write } = recorder();
    await q.replay(write);
    expect(calls[0]!.payload).toEqual(makePayload(1));
    expect(calls[0]!.payload).not.toHaveProperty('batchId');
  });

  it('keeps the flush reason, so a replayed batch counts under it, without counting it as a row', async () => {
    const q = open(spoolPath());
    const payload = { ...makePayload(1, 3), flushReason: 'maxWait' as const };
    expect(payloadRows(payload)).toBe(payloadRows(makePayload(1, 3)));
    await q.defer(payload);
    expect(q.depth().rows).toBe(payloadRows(makePayload(1, 3)));
    const { calls, write } = recorder();
    await q.replay(write);
    expect(calls[0]!.payload).toEqual(payload);
  });
});

describe('backpressure', () => {
  it('goes over high water by batches, still accepts, and lets waiters go at low water', async () => {
    const q = open(spoolPath(), { highWaterBatches: 4, lowWaterBatches: 1 });
    const marks: string[] = [];
    q.on('highWater', (d) => marks.push(`high ${d.batches}`));
    q.on('lowWater', (d) => marks.push(`low ${d.batches}`));

    for (let i = 0; i < 3; i++) await q.defer(makePayload(i));
    expect(q.overHighWater).toBe(false);
    await q.waitForRoom(); // resolves at once

    await q.defer(makePayload(3));
    expect(q.overHighWater).toBe(true);
    expect(marks).toEqual(['high 4']);
    // Over high water defer() still accepts durably.
    expect(await q.defer(makePayload(4))).toBe(5);

    const waiting = track(q.waitForRoom());
    const ac = new AbortController();
    const aborted = track(q.waitForRoom(ac.signal));
    ac.abort(new Error('producer stopped'));
    await turn();
    expect(aborted).toMatchObject({ settled: true, ok: false });
    expect((aborted.error as Error).message).toBe('producer stopped');

    const { write } = recorder();
    await q.replay(write, { maxBatches: 3 }); // 2 left: under high water, still above low water
    await turn();
    expect(waiting.settled).toBe(false);
    expect(q.overHighWater).toBe(true);

    await q.replay(write, { maxBatches: 1 }); // 1 left: at low water
    await turn();
    expect(waiting).toMatchObject({ settled: true, ok: true });
    expect(q.overHighWater).toBe(false);
    expect(marks).toEqual(['high 4', 'low 1']);
  });

  it('counts rows too, and a reopened spool that is still over high water says so', async () => {
    const file = spoolPath();
    const options = { highWaterRows: 10, lowWaterRows: 3, highWaterBatches: 1000 };
    const q1 = open(file, options);
    await q1.defer(makePayload(0, 4)); // 5 rows (4 trades + 1 cursor)
    expect(q1.overHighWater).toBe(false);
    await q1.defer(makePayload(1, 4)); // 10 rows
    expect(q1.overHighWater).toBe(true);
    await q1.close();

    const q2 = open(file, options);
    expect(q2.overHighWater).toBe(true);
    const waiting = track(q2.waitForRoom());
    await q2.replay(recorder().write, { maxBatches: 1 }); // 5 rows: above low water 3
    await turn();
    expect(waiting.settled).toBe(false);
    await q2.replay(recorder().write);
    await turn();
    expect(waiting.ok).toBe(true);
  });

  it('rejects waiters on close, and defer/replay after close', async () => {
    const q = open(spoolPath(), { highWaterBatches: 1, lowWaterBatches: 0 });
    await q.defer(makePayload(0));
    const waiting = track(q.waitForRoom());
    await q.close();
    await turn();
    expect(waiting.ok).toBe(false);
    expect(waiting.error).toBeInstanceOf(StateError);
    await expect(q.defer(makePayload(1))).rejects.toBeInstanceOf(StateError);
    await expect(q.replay(recorder().write)).rejects.toBeInstanceOf(StateError);
  });

  it('refuses water marks that do not make sense', () => {
    expect(() => DeferredQueue.open(spoolPath(), { highWaterBatches: 10, lowWaterBatches: 10 })).toThrow(
      /lowWaterBatches/,
    );
    expect(() => DeferredQueue.open(spoolPath(), { highWaterRows: 0 })).toThrow(/highWaterRows/);
  });
});

describe('durability and failures', () => {
  it('commits defers still waiting for their group when closed', async () => {
    const file = spoolPath();
    const q = DeferredQueue.open(file);
    const seqs = [q.defer(makePayload(0)), q.defer(makePayload(1))];
    await q.close();
    expect(await Promise.all(seqs)).toEqual([1, 2]);
    const again = open(file);
    expect(again.peek().map((b) => b.payload)).toEqual([makePayload(0), makePayload(1)]);
  });

  it('opens the spool in WAL mode with synchronous=FULL, marked as a spool', async () => {
    const file = spoolPath();
    const q = open(file);
    await q.defer(makePayload(0));
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('application_id', { simple: true })).toBe(SPOOL_APPLICATION_ID);
      const row = db.prepare('SELECT seq, rows, attempts, last_error, payload FROM deferred_batches').get() as Record<
        string,
        unknown
      >;
      expect(row).toMatchObject({ seq: 1, rows: 3, attempts: 0, last_error: null });
      expect(JSON.parse(row.payload as string)).toEqual(makePayload(0));
    } finally {
      db.close();
    }
    expect(q.spoolSettings()).toEqual({ journalMode: 'wal', synchronous: 'FULL' });
    // Replay deletes run at NORMAL; the connection must be back at FULL for the next deferral.
    await q.replay(recorder().write);
    expect(q.spoolSettings()).toEqual({ journalMode: 'wal', synchronous: 'FULL' });
  });

  it('rejects with SPOOL_OPEN_FAILED at open when the spool directory cannot take a file', () => {
    const notADir = path.join(dir, 'plain-file');
    fs.writeFileSync(notADir, 'x');
    const cases: [string, string][] = [
      [path.join(notADir, 'gecko_data.db.spool'), 'is not a directory'],
      [path.join(dir, 'no-such-dir', 'gecko_data.db.spool'), 'does not exist'],
      // Root may write almost anywhere, but not into /proc.
      ['/proc/self/gecko_data.db.spool', 'is not writable'],
    ];
    for (const [bad, why] of cases) {
      let caught: unknown;
      try {
        opened.push(DeferredQueue.open(bad));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(DeferredQueueError);
      expect(caught).toMatchObject({ code: 'SPOOL_OPEN_FAILED' });
      expect((caught as Error).message).toContain(bad);
      expect((caught as Error).message).toContain(why);
    }
  });

  it('a spool that cannot be created at the first deferral rejects that defer (the caller keeps the batch) and is tried again', async () => {
    const spoolDir = path.join(dir, 'spool-dir-goes-away');
    fs.mkdirSync(spoolDir);
    const file = path.join(spoolDir, 'gecko_data.db.spool');
    const q = open(file);
    fs.rmdirSync(spoolDir);
    let caught: unknown;
    try {
      await q.defer(makePayload(1));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DeferredQueueError);
    expect(caught).toMatchObject({ code: 'SPOOL_OPEN_FAILED' });
    expect((caught as Error).message).toContain(file);
    expect(q.depth().batches).toBe(0);
    expect(q.hasSpoolFile).toBe(false);

    fs.mkdirSync(spoolDir);
    const seq = await q.defer(makePayload(2));
    expect(q.depth().batches).toBe(1);
    const { calls, write } = recorder();
    await q.replay(write);
    expect(calls.map((c) => [c.info.seq, c.payload])).toEqual([[seq, makePayload(2)]]);
  });

  it('refuses to write to a file that is not a spool (e.g. the trade database) and leaves it untouched', () => {
    const dbFile = path.join(dir, 'gecko_data.db');
    const db = new Database(dbFile);
    db.exec('CREATE TABLE trades (id TEXT PRIMARY KEY)');
    db.close();
    const garbage = path.join(dir, 'garbage.spool');
    fs.writeFileSync(garbage, 'this is not sqlite at all, just text that is long enough to be read as a header');

    expect(() => DeferredQueue.open(dbFile)).toThrow(expect.objectContaining({ code: 'SPOOL_OPEN_FAILED' }));
    expect(() => DeferredQueue.open(garbage)).toThrow(
      expect.objectContaining({ code: 'SPOOL_OPEN_FAILED', sqliteCode: 'SQLITE_NOTADB' }),
    );
    const check = new Database(dbFile, { readonly: true });
    try {
      expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
      expect(check.pragma('application_id', { simple: true })).toBe(0);
    } finally {
      check.close();
    }
    expect(defaultSpoolPath(dbFile)).toBe(`${dbFile}.spool`);
  });

  it('rejects with SPOOL_WRITE_FAILED when the spool is full, keeps what it had, and accepts again once drained', async () => {
    const file = spoolPath();
    const q = open(file, { maxSpoolBytes: 64 * 1024 });
    const big = (i: number) => makePayload(i, 40); // ~ 10 KB each
    const accepted: number[] = [];
    let failure: unknown;
    for (let i = 0; i < 100 && failure === undefined; i++) {
      try {
        accepted.push(await q.defer(big(i)));
      } catch (err) {
        failure = err;
      }
    }
    expect(failure).toBeInstanceOf(DeferredQueueError);
    expect(failure).toMatchObject({ code: 'SPOOL_WRITE_FAILED', sqliteCode: 'SQLITE_FULL' });
    expect(accepted.length).toBeGreaterThan(0);
    expect(q.depth().batches).toBe(accepted.length);

    // A whole group fails together: none of its callers may think its batch is safe.
    const group = [q.defer(big(200)), q.defer(big(201)), q.defer(big(202))].map(track);
    await turn();
    await turn();
    expect(group.map((g) => [g.settled, g.ok])).toEqual([
      [true, false],
      [true, false],
      [true, false],
    ]);
    expect(q.depth().batches).toBe(accepted.length);

    const { calls, write } = recorder();
    expect(await q.replay(write)).toEqual({ replayed: accepted.length, failed: 0, remaining: 0 });
    expect(calls.map((c) => c.info.seq)).toEqual(accepted);
    expect(calls.map((c) => c.payload)).toEqual(accepted.map((_, i) => big(i)));
    expect(await q.defer(big(300))).toBeGreaterThan(accepted[accepted.length - 1]!);
  });

  it('rejects a payload that cannot be serialized instead of storing something else', async () => {
    const q = open(spoolPath());
    const bad = { trades: [{ ...makePayload(0).trades![0]!, blockNumber: 10n as unknown as number }] };
    await expect(q.defer(bad)).rejects.toMatchObject({ code: 'PAYLOAD_INVALID' });
    expect(q.depth().batches).toBe(0);
  });

  it('a throwing event listener does not break deferral or replay', async () => {
    const q = open(spoolPath());
    q.on('deferred', () => {
      throw new Error('listener bug');
    });
    q.on('replayed', () => {
      throw new Error('listener bug');
    });
    expect(await q.defer(makePayload(0))).toBe(1);
    expect(await q.replay(recorder().write)).toEqual({ replayed: 1, failed: 0, remaining: 0 });
  });
});

describe('lazy spool file', () => {
  const filesOf = (file: string) => fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith(path.basename(file)));

  it('open() without a spool creates nothing; close() leaves nothing behind', async () => {
    const file = spoolPath();
    const q = open(file);
    expect(q.hasSpoolFile).toBe(false);
    expect(q.depth()).toEqual({ batches: 0, rows: 0, oldestAgeMs: null, bytes: 0 });
    expect(q.peek()).toEqual([]);
    expect(q.spoolSettings()).toBeNull();
    const { calls, write } = recorder();
    expect(await q.replay(write)).toEqual({ replayed: 0, failed: 0, remaining: 0 });
    expect(calls).toEqual([]);
    await q.close();
    expect(filesOf(file)).toEqual([]);
  });

  it('the first defer() creates the file (WAL, synchronous=FULL) before it resolves; a reopened queue finds the batch', async () => {
    const file = spoolPath();
    const q = open(file);
    const seq = await q.defer(makePayload(7));
    expect(fs.existsSync(file)).toBe(true);
    expect(q.hasSpoolFile).toBe(true);
    expect(q.spoolSettings()).toEqual({ journalMode: 'wal', synchronous: 'FULL' });
    // Committed on disk already: another connection sees it before this queue is closed.
    const reader = new Database(file, { readonly: true });
    try {
      expect(reader.prepare('SELECT seq FROM deferred_batches').pluck().all()).toEqual([seq]);
      expect(reader.pragma('application_id', { simple: true })).toBe(SPOOL_APPLICATION_ID);
    } finally {
      reader.close();
    }
    await q.close();

    const again = open(file);
    expect(again.hasSpoolFile).toBe(true);
    expect(again.depth().batches).toBe(1);
    const { calls, write } = recorder();
    expect(await again.replay(write)).toEqual({ replayed: 1, failed: 0, remaining: 0 });
    expect(calls.map((c) => c.payload)).toEqual([makePayload(7)]);
  });

  it('a replay before the file exists finds nothing; the next one replays what the first deferral spooled', async () => {
    const q = open(spoolPath());
    const { calls, write } = recorder();
    const early = q.replay(write);
    const seq = q.defer(makePayload(1));
    expect(await early).toEqual({ replayed: 0, failed: 0, remaining: 0 });
    await seq;
    expect(await q.replay(write)).toEqual({ replayed: 1, failed: 0, remaining: 0 });
    expect(calls.map((c) => c.payload)).toEqual([makePayload(1)]);
  });
});
