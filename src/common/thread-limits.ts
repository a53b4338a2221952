// The V8 heap limits of the collector and checkpointer threads: a small young generation.
import type { ResourceLimits } from 'node:worker_threads';

/**
 * Without a limit each thread's young generation grows to 8 MB or more during start-up (imports, the first
 * 300-trade answers) and stays resident until V8's memory reducer shrinks it; the threads keep little alive
 * between messages, so 3 MB (1 MB semi-spaces) is enough. Figures: docs/benchmarks.md, issue 26 point 7.
 */
export const THREAD_RESOURCE_LIMITS: ResourceLimits = Object.freeze({ maxYoungGenerationSizeMb: 3 });
