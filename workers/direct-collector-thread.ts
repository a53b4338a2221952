// A direct-mode collector thread (the rollback path, piscina entry): the same task, stored on its own connection.
import { runCollectorTask } from '../src/collector/run-collector-task.ts';
import { openDirectStore } from '../src/direct/direct-collector-store.ts';
import { adoptThreadLogLink } from '../src/logging/thread-logs.ts';
import type { CollectorResult, CollectorTask } from '../src/protocol/collector-task.ts';

export default function directCollectorThread(task: CollectorTask): Promise<CollectorResult> {
  adoptThreadLogLink(task.log);
  return runCollectorTask(task, openDirectStore);
}
