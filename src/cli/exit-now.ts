// The second Ctrl-C or SIGTERM: end the process now, whatever its threads are doing. process.exit() would first
// stop every worker thread and wait for it, and a writer thread blocked in SQLite (a lock's busy wait, a disk
// that does not answer) keeps it waiting, then aborts with a V8 fatal error. Re-raising the signal with its
// default action lets the kernel end the process at once; SQLite's WAL and the spool are made for that (kill -9).
// Temporary files still being written are removed first (an export's --out, the metrics file).

import { removeTemporaryFiles } from '../common/atomic-file.ts';

/** Re-raises `signal` with its default action (the shell then reports 128 + its number: 130 or 143). */
export function exitOnSignalNow(signal: NodeJS.Signals): void {
  removeTemporaryFiles();
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Should the default action not end the process (an embedder's handler), nothing else will: SIGKILL does.
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1000);
}
