// Lowers the CPU priority (raises the nice value) of the calling thread only, so collector threads yield the
// CPU to the writer thread: every collector waits on the writer's commits, so its time is the one to protect.

import os from 'node:os';
import { ConfigError } from '../errors.ts';

/** The nice value collector threads run at by default (0 = the process's own priority; 19 = the lowest). */
export const DEFAULT_COLLECTOR_NICE = 10;
export const MAX_NICE = 19;

export type ThreadPriorityOutcome = { applied: true; nice: number } | { applied: false; nice: number; reason: string };

/** Throws ConfigError unless `nice` is an integer from 0 to 19 (a thread may lower its priority, not raise it). */
export function checkNice(field: string, nice: unknown): number {
  if (typeof nice !== 'number' || !Number.isSafeInteger(nice) || nice < 0 || nice > MAX_NICE) {
    throw new ConfigError(
      field,
      nice,
      `expected an integer from 0 to ${MAX_NICE} (a nice value: higher = lower CPU priority)`,
    );
  }
  return nice;
}

/**
 * Sets the calling thread's nice value to at least `nice`. Only Linux keeps a nice value per thread; elsewhere
 * setPriority(0) would change the whole process, the writer included, so there it does nothing and says so.
 * A thread already at a higher value keeps it: this never raises a priority.
 */
export function lowerThisThreadPriority(
  nice: number,
  platform: NodeJS.Platform = process.platform,
): ThreadPriorityOutcome {
  checkNice('nice', nice);
  if (platform !== 'linux')
    return { applied: false, nice, reason: `per-thread priorities need Linux (this is ${platform})` };
  try {
    const current = os.getPriority(0);
    if (current >= nice) return { applied: true, nice: current };
    os.setPriority(0, nice);
    return { applied: true, nice: os.getPriority(0) };
  } catch (err) {
    return { applied: false, nice, reason: err instanceof Error ? err.message : String(err) };
  }
}
