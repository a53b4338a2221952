// Where this process's resident memory sits (Linux: /proc/self/status): anonymous (heaps, SQLite page caches,
// buffers: what grows when something is unbounded) vs file-backed (the database mmap and shared libraries:
// pages the kernel can drop and re-read at will). Elsewhere only the total is known.

import fs from 'node:fs';

export interface MemoryBreakdown {
  rssMb: number;
  /** null where /proc is not available. */
  anonMb: number | null;
  fileMb: number | null;
  shmemMb: number | null;
}

const FIELDS = { RssAnon: 'anonMb', RssFile: 'fileMb', RssShmem: 'shmemMb' } as const;

export function memoryBreakdown(): MemoryBreakdown {
  const out: MemoryBreakdown = { rssMb: mb(process.memoryUsage.rss()), anonMb: null, fileMb: null, shmemMb: null };
  let status: string;
  try {
    status = fs.readFileSync('/proc/self/status', 'utf8');
  } catch {
    return out;
  }
  for (const line of status.split('\n')) {
    const m = /^(RssAnon|RssFile|RssShmem):\s+(\d+) kB/.exec(line);
    if (m) out[FIELDS[m[1] as keyof typeof FIELDS]] = Math.round((Number(m[2]) / 1024) * 10) / 10;
  }
  return out;
}

function mb(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}
