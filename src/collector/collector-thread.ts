// Piscina entry of a collector thread: one task = one group of pools, run until the shared stop flag is set.
// The logic lives in run-collector-task.ts so tests and library users can run it in-thread too.

import { runCollectorTask } from './run-collector-task.ts';

export default runCollectorTask;
