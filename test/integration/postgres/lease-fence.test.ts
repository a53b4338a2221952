// Two `collect` processes at the public rate (30 calls/min) share one simulator's pools through leases; the
// second joins once the first holds every lease, so the first must hand half of them over while its polls of
// those pools still wait for a rate-limit slot. The simulator's poll log and the lease table's history say
// whether a process polled a pool after the other had taken its lease: none may, both runs end 0, every served
// trade is stored, and every pool's cursor stands on its newest stored trade.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { poolIdOf } from '../../../src/config/pool-addresses.ts';
import type { SimPoll } from '../../../src/sim/sim-report.ts';
import { type CliProcess, spawnCli } from '../../support/cli-process.ts';
import { cli } from '../../support/collect-run.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const dir = tempDir('gecko-pg-fence-');
const running: CliProcess[] = [];
afterAll(() => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
});

const POOLS = 8;
const TTL_S = 10;
/** A backstop: both runs are stopped (SIGTERM) once the handover is over and every pool was polled after it. */
const RUN_S = 90;
/** B must have taken a lease this soon after it started. */
const HANDOVER_S = 20;

/** One acquisition of a pool's lease (an epoch), by the process with this pid, at the server's clock. */
interface Tenure {
  poolId: string;
  epoch: number;
  pid: number;
  acquiredAt: number;
}

/** A poll by a process that did not hold the pool then: the latest acquisition before it was another's. */
interface PollPastLease {
  poolId: string;
  pid: number;
  at: number;
  /** How long after the other process had taken the lease. */
  lateMs: number;
}

function pollsPastLease(polls: readonly SimPoll[], tenures: readonly Tenure[], network: string) {
  const past: PollPastLease[] = [];
  for (const p of polls) {
    const pid = Number(/\(pid (\d+)\)/.exec(p.agent)?.[1]);
    const poolId = poolIdOf(network, p.pool);
    const before = tenures
      .filter((t) => t.poolId === poolId && t.acquiredAt <= p.at)
      .sort((a, b) => b.acquiredAt - a.acquiredAt)[0];
    if (before === undefined || before.pid !== pid)
      past.push({ poolId, pid, at: p.at, lateMs: before ? p.at - before.acquiredAt : Number.NaN });
  }
  return past;
}

describe('two lease processes at the public rate, the second started once the first holds every lease', () => {
  it('no process polls a pool after the other took its lease; both end 0, stored == served, cursors on the newest trade', async () => {
    const t = await testSchema('gecko_fence');
    const servedFile = path.join(dir, 'served.json');
    const sim = spawnCli(
      ['simulate', '--port', '0', '--pools', String(POOLS), '--trades-per-second', '2', '--served-file', servedFile],
      dir,
    );
    running.push(sim);
    await until(() => /pools: \S+/.test(sim.out()), 30_000, 'the simulator to start');
    const baseUrl = /simulator: (\S+)/.exec(sim.out())![1]!;
    const pools = /pools: (\S+)/.exec(sim.out())![1]!;
    const network = 'solana';
    const pollsOf = async () =>
      (await (await fetch(baseUrl.replace(/\/api\/v2$/, '/__simulator/polls'))).json()) as SimPoll[];
    const collect = (name: string) =>
      spawnCli(
        [
          'collect',
          '--db',
          t.url,
          '--spool',
          path.join(dir, `${name}.spool`),
          '--base-url',
          baseUrl,
          '--pools',
          pools,
          '--network',
          network,
          '--collectors',
          '2',
          '--lease-ttl',
          String(TTL_S),
          '--calls-per-minute',
          '30',
          '--poll-interval',
          '2',
          '--preset',
          'development',
          '--duration',
          String(RUN_S),
        ],
        dir,
      );

    // The lease table's history: every epoch of every pool, with the pid of the process that took it.
    const tenures = new Map<string, Tenure>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rows = await t
          .query<{ pool_id: string; epoch: number; pid: number | null; acquired_ms: number }>(
            `SELECT l.pool_id, l.epoch::int AS epoch, i.pid,
                    (extract(epoch FROM l.acquired_at) * 1000)::float8 AS acquired_ms
             FROM pool_leases l LEFT JOIN collector_instances i USING (holder) WHERE l.holder IS NOT NULL`,
          )
          .catch(() => []);
        for (const r of rows) {
          const key = `${r.pool_id}#${r.epoch}`;
          if (!tenures.has(key) && r.pid !== null)
            tenures.set(key, { poolId: r.pool_id, epoch: r.epoch, pid: r.pid, acquiredAt: r.acquired_ms });
        }
        await sleep(100);
      }
    })();

    const a = collect('a');
    running.push(a);
    // B joins once A holds every lease and has begun polling: A's polls of the pools it must hand over are
    // then queued behind the 2 s spacing of 30 calls/min.
    await until(
      async () =>
        new Set([...tenures.values()].filter((x) => x.pid === a.child.pid).map((x) => x.poolId)).size === POOLS &&
        (await pollsOf()).length > 0,
      60_000,
      'the first process to hold every lease and poll',
    );
    const b = collect('b');
    const bStartedAt = Date.now();
    running.push(b);
    // The handover is over once B holds its fair share; both then run until every pool was polled after it and a
    // lease period has passed (renewals on both sides), so a poll A still had queued for a handed pool has fired.
    await until(
      async () => {
        const ofB = [...tenures.values()].filter((x) => x.pid === b.child.pid);
        if (new Set(ofB.map((x) => x.poolId)).size < POOLS / 2) return false;
        const handedAt = Math.max(...ofB.map((x) => x.acquiredAt));
        if (Date.now() < handedAt + TTL_S * 1000) return false;
        const after = new Set((await pollsOf()).filter((p) => p.at > handedAt).map((p) => p.pool));
        return after.size === POOLS;
      },
      RUN_S * 1000,
      'the handover and a poll of every pool after it',
    );
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    const [codeA, codeB] = await Promise.all([a.exited(), b.exited()]);
    sampling = false;
    await sampler;
    const polls = await pollsOf();
    sim.child.kill('SIGTERM');
    expect(await sim.exited()).toBe(0);

    // Both took part, and A handed pools to B soon after B started.
    const pids = new Set(polls.map((p) => Number(/\(pid (\d+)\)/.exec(p.agent)?.[1])));
    expect(pids).toEqual(new Set([a.child.pid, b.child.pid]));
    const soon = bStartedAt + HANDOVER_S * 1000;
    expect([...tenures.values()].some((x) => x.pid === b.child.pid && x.acquiredAt < soon)).toBe(true);
    // Soft from here on: a failing run reports every one of these at once.
    const past = pollsPastLease(polls, [...tenures.values()], network);
    expect.soft(past, `polls past the lease: ${JSON.stringify(past)}`).toEqual([]);
    expect.soft(codeA, a.out()).toBe(0);
    expect.soft(codeB, b.out()).toBe(0);

    const doctor = await cli(['doctor', '--db', t.url, '--served', servedFile]);
    expect.soft(doctor.stdout).toMatch(/stored == served: yes/);
    expect.soft(doctor.code, doctor.stdout).toBe(0);
    // Every pool's cursor is on its newest stored trade: no later poll's trades were left behind it.
    const behind = await t.query<{ pool_id: string }>(
      `SELECT p.pool_id FROM (SELECT pool_id, max(block_timestamp) AS newest FROM trades GROUP BY pool_id) p
       LEFT JOIN collection_state s USING (pool_id)
       WHERE s.last_trade_timestamp IS NULL OR s.last_trade_timestamp < p.newest`,
    );
    expect.soft(behind).toEqual([]);
    expect(await t.count('SELECT count(DISTINCT pool_id)::int AS n FROM trades')).toBe(POOLS);
  });
});
