// Per-thread CPU of this process over a timed window, from Linux's /proc/self/task: time on a CPU, time waiting
// for one (run queue) and context switches, so a load run shows whether its writer thread was busy, starved or idle.

import fs from 'node:fs';
import { osThreadId } from '../src/common/os-thread-id.ts';

export interface ThreadTimes {
  /** Time on a CPU, ms. */
  cpuMs: number;
  /** Time runnable but waiting for a CPU, ms: what other threads (and tenants) took from this one. */
  runQueueMs: number;
  /** Waits the thread chose (for a message, a lock...). */
  voluntarySwitches: number;
  /** Times the scheduler took the CPU away. */
  involuntarySwitches: number;
}

export type ThreadSnapshot = Map<number, ThreadTimes>;

export const NO_TIMES: ThreadTimes = { cpuMs: 0, runQueueMs: 0, voluntarySwitches: 0, involuntarySwitches: 0 };

function readTimes(taskDir: string): ThreadTimes {
  // schedstat: ns on a CPU, ns waiting on a run queue, timeslices.
  const [run, wait] = fs.readFileSync(`${taskDir}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
  const status = fs.readFileSync(`${taskDir}/status`, 'utf8');
  return {
    cpuMs: run! / 1e6,
    runQueueMs: wait! / 1e6,
    voluntarySwitches: Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1] ?? 0),
    involuntarySwitches: Number(/^nonvoluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1] ?? 0),
  };
}

/** Every thread of this process now; null where /proc/self/task is not readable (not Linux). */
export function threadSnapshot(): ThreadSnapshot | null {
  let tids: string[];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  const out: ThreadSnapshot = new Map();
  for (const tid of tids) {
    try {
      out.set(Number(tid), readTimes(`/proc/self/task/${tid}`));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** The calling thread's times so far, and its id as /proc/self/task lists it; null off Linux. */
export function ownThreadTimes(): { tid: number; times: ThreadTimes } | null {
  const tid = osThreadId();
  if (tid === null) return null;
  try {
    return { tid, times: readTimes('/proc/thread-self') };
  } catch {
    return null;
  }
}

/** What happened between two readings of the same thread. */
export function timesBetween(a: ThreadTimes, b: ThreadTimes): ThreadTimes {
  return {
    cpuMs: Math.round(b.cpuMs - a.cpuMs),
    runQueueMs: Math.round(b.runQueueMs - a.runQueueMs),
    voluntarySwitches: b.voluntarySwitches - a.voluntarySwitches,
    involuntarySwitches: b.involuntarySwitches - a.involuntarySwitches,
  };
}

export function sumTimes(times: readonly ThreadTimes[]): ThreadTimes {
  return times.reduce(
    (s, t) => ({
      cpuMs: s.cpuMs + t.cpuMs,
      runQueueMs: s.runQueueMs + t.runQueueMs,
      voluntarySwitches: s.voluntarySwitches + t.voluntarySwitches,
      involuntarySwitches: s.involuntarySwitches + t.involuntarySwitches,
    }),
    NO_TIMES,
  );
}
