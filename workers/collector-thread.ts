// A collector thread (piscina entry): one task = one group of pools, its batches to the writer over its link.
import { openFunnelStore } from '../src/collector/funnel-collector-store.ts';
import { runCollectorTask } from '../src/collector/run-collector-task.ts';
import { adoptThreadLogLink } from '../src/logging/thread-logs.ts';
import type { CollectorResult, CollectorTask } from '../src/protocol/collector-task.ts';

export default function collectorThread(task: CollectorTask): Promise<CollectorResult> {
  adoptThreadLogLink(task.log);
  return runCollectorTask(task, openFunnelStore);
}
