// Many processes, one pool set: three `collect` processes share one standalone simulator and one PostgreSQL
// schema through leases; one is killed with SIGKILL mid-run. Every served trade is stored exactly once, the
// killed process's pools are polled again by the others within one lease period, no pool is polled by two
// processes at once, and no cursor ever moves backwards.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { interleavedPolls, type SimPoll, type SimServedReport } from '../../../src/sim/sim-report.ts';
import { cli } from '../../support/collect-run.ts';
import { testSchema } from '../../support/postgres.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const dir = tempDir('gecko-pg-multi-');
// The children's spools and doctor's look at them: this file's own state directory.
process.env.XDG_STATE_HOME = dir;
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const TTL_S = 3;
const POOLS = 12;

function start(args: string[]): { child: ChildProcess; out: () => string } {
  let out = '';
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GECKO_LOG_LEVEL: 'warn' },
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  children.push(child);
  return { child, out: () => out };
}

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

describe('three collect processes, one simulator, one PostgreSQL; one killed', () => {
  it('stores every served trade once, hands the dead one’s pools over within a lease period, never polls a pool twice at once', async () => {
    const t = await testSchema();
    const servedFile = path.join(dir, 'served.json');
    const sim = start([
      'simulate',
      '--port',
      '0',
      '--pools',
      String(POOLS),
      '--trades-per-second',
      '2',
      '--served-file',
      servedFile,
    ]);
    await until(() => /pools: \S+/.test(sim.out()), 30_000, 'the simulator to print its URL and pools');
    const baseUrl = /simulator: (\S+)/.exec(sim.out())?.[1];
    const pools = /pools: (\S+)/.exec(sim.out())?.[1];
    expect(baseUrl).toBeDefined();
    const collect = () =>
      start([
        'collect',
        '--db',
        t.url,
        '--base-url',
        baseUrl!,
        '--pools',
        pools!,
        '--collectors',
        '2',
        '--lease-ttl',
        String(TTL_S),
        '--poll-interval',
        '0.5',
        '--calls-per-minute',
        '6000',
        '--preset',
        'development',
      ]);

    // Cursors sampled all along: none may ever move backwards.
    const seen = new Map<string, string>();
    const backwards: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rows = await t
          .query<{ pool_id: string; ts: string }>(
            `SELECT pool_id, to_char(last_trade_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS ts FROM collection_state`,
          )
          .catch(() => []);
        for (const r of rows) {
          const before = seen.get(r.pool_id);
          if (before !== undefined && r.ts < before) backwards.push(`${r.pool_id}: ${before} -> ${r.ts}`);
          seen.set(r.pool_id, r.ts);
        }
        await sleep(200);
      }
    })();

    const pollsOf = async () =>
      (await (await fetch(baseUrl!.replace(/\/api\/v2$/, '/__simulator/polls'))).json()) as SimPoll[];
    const agentOf = (p: { child: ChildProcess }) => `gecko-collector (pid ${p.child.pid})`;
    const polling = async (agent: string) => (await pollsOf()).some((p) => p.agent === agent);
    // One after another, each once the one before polls: each joins running holders and takes its share from
    // them (start-up takes a while on a busy machine).
    const a = collect();
    await until(() => polling(agentOf(a)), 60_000, 'the first process to poll');
    const b = collect();
    await until(() => polling(agentOf(b)), 60_000, 'the second process to poll');
    const c = collect();
    await until(() => polling(agentOf(c)), 60_000, 'the third process to poll');
    const liveHolders = () =>
      t.count(
        'SELECT count(DISTINCT holder)::int AS n FROM pool_leases WHERE expires_at > now() AND holder IS NOT NULL',
      );
    await until(async () => (await liveHolders()) === 3, 30_000, 'each process to hold leases');
    // doctor shows the three processes holding leases, each since when.
    const during = await cli(['doctor', '--db', t.url]);
    expect(during.code).toBe(0);
    expect(during.stdout).toMatch(/lease holders: 3/);
    const agentB = agentOf(b);
    b.child.kill('SIGKILL');
    const killedAt = Date.now();
    // The others go on until each pool the killed process had polled has been polled by one of them.
    const bPolled = new Set((await pollsOf()).filter((p) => p.agent === agentB).map((p) => p.pool));
    const takenOver = (polls: SimPoll[]) =>
      [...bPolled].every((pool) => polls.some((p) => p.pool === pool && p.at > killedAt && p.agent !== agentB));
    await until(async () => takenOver(await pollsOf()), (TTL_S + 20) * 1000, "the killed process's pools taken over");
    a.child.kill('SIGTERM');
    c.child.kill('SIGTERM');
    const [codeA, codeC] = await Promise.all([exited(a.child), exited(c.child)]);
    sampling = false;
    await sampler;
    const polls = await pollsOf();
    sim.child.kill('SIGTERM');
    expect(await exited(sim.child)).toBe(0);
    expect(codeA, a.out()).toBe(0);
    expect(codeC, c.out()).toBe(0);

    // Every served trade stored, and nothing else: exactly once each (the id is the primary key).
    const served = JSON.parse(fs.readFileSync(servedFile, 'utf8')) as SimServedReport;
    expect(served.distinctTradesServed).toBeGreaterThan(500);
    expect(await t.count('SELECT count(*)::int AS n FROM trades WHERE id = ANY($1::text[])', [served.ids])).toBe(
      served.distinctTradesServed,
    );
    expect(await t.count('SELECT count(*)::int AS n FROM trades')).toBe(served.distinctTradesServed);
    const after = await cli(['doctor', '--db', t.url, '--served', servedFile]);
    expect(after.stdout).toMatch(/stored == served: yes/);
    expect(after.code).toBe(0);

    // The killed process polled some pools; each was polled by another process within one lease period
    // (plus a heartbeat and a poll interval) after the kill.
    const bPools = new Set(polls.filter((p) => p.agent === agentB && p.at < killedAt).map((p) => p.pool));
    expect(bPools.size).toBeGreaterThan(0);
    for (const pool of bPools) {
      const next = polls.find((p) => p.pool === pool && p.at > killedAt && p.agent !== agentB);
      expect(next, `pool ${pool} was not taken over`).toBeDefined();
      expect(next!.at - killedAt).toBeLessThan((TTL_S + 1 + 1) * 1000);
    }
    // Three processes took part, and no pool was ever polled by two of them within one lease period.
    expect(new Set(polls.map((p) => p.agent)).size).toBe(3);
    expect(interleavedPolls(polls, TTL_S * 1000)).toEqual([]);
    expect(backwards).toEqual([]);
    expect(seen.size).toBe(POOLS);
  });
});
