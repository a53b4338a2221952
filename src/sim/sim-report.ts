// What a standalone simulator tells after (or during) a run that several collector processes shared: the
// trades it served (so stored == served can be judged across processes), the trades its pools made (so stored /
// made can be), and who polled which pool when (so exclusive polling can be checked). Served at
// /__simulator/served, /__simulator/truth and /__simulator/polls, and written to a file.

import type { SimTruthReport } from './sim-truth.ts';

export interface SimPoll {
  /** ms since epoch when the request arrived. */
  at: number;
  /** Pool address. */
  pool: string;
  /** The request's User-Agent (collectors say which process they are). */
  agent: string;
}

export interface SimServedReport {
  requests: number;
  tradesServed: number;
  distinctTradesServed: number;
  /** Every distinct trade id served. */
  ids: string[];
  /** Distinct trades served per pool address (absent in files of older simulators). */
  servedByPool?: Record<string, number>;
  /**
   * What the pools made over the simulator's run (from its start's whole second to the report), served or not:
   * completeness = trades stored in that interval / `truth.made` (absent in files of older simulators).
   */
  truth?: SimTruthReport;
}

/** Trades requests kept for /__simulator/polls at most (oldest dropped first). */
export const MAX_POLL_LOG = 200_000;

export const SIM_REPORT_PREFIX = '/__simulator/';

/**
 * Pools polled by two agents within `windowMs` of each other, interleaved (X, then Y, then X again within the
 * window): two processes working on one pool at once. A clean handover (X's last poll, then Y's) is not one.
 */
export function interleavedPolls(
  polls: readonly SimPoll[],
  windowMs: number,
): { pool: string; agents: string[]; at: number }[] {
  const byPool = new Map<string, SimPoll[]>();
  for (const p of polls) {
    const list = byPool.get(p.pool) ?? [];
    list.push(p);
    byPool.set(p.pool, list);
  }
  const found: { pool: string; agents: string[]; at: number }[] = [];
  for (const [pool, list] of byPool) {
    list.sort((a, b) => a.at - b.at);
    // For each agent's poll, was the previous poll by another agent preceded by this agent within the window?
    const lastBy = new Map<string, number>();
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const cur = list[i]!;
      lastBy.set(prev.agent, prev.at);
      if (cur.agent === prev.agent) continue;
      const mine = lastBy.get(cur.agent);
      if (mine !== undefined && cur.at - mine < windowMs)
        found.push({ pool, agents: [cur.agent, prev.agent], at: cur.at });
    }
  }
  return found;
}
