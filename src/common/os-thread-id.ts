// The calling thread's id as the OS lists it (Linux: /proc/self/task/<tid>, `top -H`, `perf -t`), which
// Node's threadId (a per-process counter) is not.

import fs from 'node:fs';

/** null where /proc/thread-self does not exist (not Linux). */
export function osThreadId(): number | null {
  try {
    return Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return null;
  }
}
