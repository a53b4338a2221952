// What the crash child and the checker must agree on: which trades a batch holds, the stdout line protocol,
// and a seeded PRNG, so the checker can rebuild every acked batch's trade ids without the child's help.

import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';

/** Senders per child at most; part of the trade index layout, so it caps `--senders`. */
export const MAX_SENDERS = 16;
/** A sender stops (and idles until killed) after this many batches, so index ranges of senders never overlap. */
export const BATCHES_PER_SENDER = 8192;

export type DisruptMode = 'none' | 'isolate' | 'full';
export const DISRUPT_MODES: readonly DisruptMode[] = ['none', 'isolate', 'full'];

/**
 * Index of the first trade of a batch. Disjoint for every (cycle, worker, batch), so a trade found in the
 * database belongs to exactly one batch of one cycle and presence tells which batch made it to disk.
 */
export function firstTradeIndex(cycle: number, worker: number, batch: number, batchSize: number): number {
  return ((cycle * MAX_SENDERS + worker) * BATCHES_PER_SENDER + batch) * batchSize;
}

export function batchTradeIds(first: number, count: number, seed: number): string[] {
  const ids: string[] = new Array(count);
  for (let k = 0; k < count; k++) ids[k] = syntheticTrade(first + k, { seed }).id;
  return ids;
}

export interface AckLine {
  kind: 'ACK';
  cycle: number;
  worker: number;
  batch: number;
  first: number;
  count: number;
  route: 'committed' | 'deferred';
  rejected: number;
}

/** The child's stdout protocol, one record a line. */
export type ChildLine =
  | AckLine
  | { kind: 'READY'; replayed: number }
  | { kind: 'PHASE'; mode: DisruptMode; on: boolean }
  | { kind: 'FAIL'; worker: number; batch: number; message: string };

export function formatAck(a: Omit<AckLine, 'kind'>): string {
  return `ACK ${a.cycle} ${a.worker} ${a.batch} ${a.first} ${a.count} ${a.route} ${a.rejected}\n`;
}

/**
 * Parses one line; null for anything else. Each line is one write(2) below PIPE_BUF, so a kill cannot cut one
 * in half; a malformed tail would still be ignored rather than counted as an ack.
 */
export function parseChildLine(line: string): ChildLine | null {
  const f = line.trim().split(' ');
  switch (f[0]) {
    case 'ACK': {
      if (f.length !== 8 || (f[6] !== 'committed' && f[6] !== 'deferred')) return null;
      const n = f.slice(1, 6).map(Number).concat(Number(f[7]));
      if (n.some((x) => !Number.isSafeInteger(x))) return null;
      return {
        kind: 'ACK',
        cycle: n[0]!,
        worker: n[1]!,
        batch: n[2]!,
        first: n[3]!,
        count: n[4]!,
        route: f[6],
        rejected: n[5]!,
      };
    }
    case 'READY':
      return { kind: 'READY', replayed: Number(f[1] ?? 0) };
    case 'PHASE':
      return DISRUPT_MODES.includes(f[1] as DisruptMode)
        ? { kind: 'PHASE', mode: f[1] as DisruptMode, on: f[2] === 'on' }
        : null;
    case 'FAIL':
      return { kind: 'FAIL', worker: Number(f[1]), batch: Number(f[2]), message: f.slice(3).join(' ') };
    default:
      return null;
  }
}

/** Deterministic per seed, so a failing cycle can be rerun with the same kill timing. */
export { seededRandom } from '../../../src/sim/seeded-random.ts';

/** The disruption a cycle runs when the loop mixes them: isolate, disk full, none, in turn. */
export function mixedDisrupt(cycle: number): DisruptMode {
  return (['isolate', 'full', 'none'] as const)[cycle % 3]!;
}
