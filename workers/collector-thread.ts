// Piscina entry of a collector thread: one task = one group of pools, run until the shared stop flag is set.
// The thread logs through the main thread (task.log); the logic lives in run-collector-task.ts so tests and
// library users can run it in-thread too.

import { runCollectorTask } from '../src/collector/run-collector-task.ts';
import { adoptThreadLogLink } from '../src/logging/thread-logs.ts';
import type { CollectorResult, CollectorTask } from '../src/protocol/collector-task.ts';

export default function collectorThread(task: CollectorTask): Promise<CollectorResult> {
  adoptThreadLogLink(task.log);
  return runCollectorTask(task);
}
