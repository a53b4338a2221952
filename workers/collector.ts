// Piscina entry of a collector thread: one task = one group of pools, run until the shared stop flag is set.
// The logic lives in src/collect/collector-worker.ts so tests and library users can run it in-thread too.

import { runCollectorTask } from '../src/collect/collector-worker.ts';

export default runCollectorTask;
