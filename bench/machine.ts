// The machine a benchmark ran on, printed first by every bench script (figures without it mean little).

import os from 'node:os';
import { bundledSqliteVersion } from '../src/storage/sqlite/sqlite-version.ts';

export interface MachineSummary {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  sqlite: string;
  line: string;
}

export function machineSummary(): MachineSummary {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const cores = os.availableParallelism();
  const memoryGb = Math.round(os.totalmem() / 2 ** 30);
  const sqlite = bundledSqliteVersion();
  const node = process.version;
  return {
    cpu,
    cores,
    memoryGb,
    node,
    sqlite,
    line: `machine: ${cpu}, ${cores} cores, ${memoryGb} GiB, Node ${node}, SQLite ${sqlite}`,
  };
}
