// Starts worker threads (plain or piscina) from TypeScript modules. Node 20 cannot strip types, so a `.ts`
// entry runs from its esbuild bundle (bin/ts-entry.mjs): a worker that loaded through tsx instead would cost a
// loader-hooks thread of its own (~14 MB and ~150 ms more per worker).

import { Worker, type WorkerOptions } from 'node:worker_threads';
import { bundleTypeScript } from '../../bin/ts-entry.mjs';

export interface WorkerEntry {
  /** The file the thread actually starts. */
  filename: string;
  /** argv to pass to the thread. */
  argv: string[];
  /** Node flags for the thread (give these to piscina too). */
  execArgv: string[];
}

/** Resolves a worker module (file URL or absolute path) to what `new Worker` / piscina must be given. */
export function workerEntry(entry: URL | string): WorkerEntry {
  // Source maps make stack traces from a bundled worker point at the .ts files.
  return { filename: bundleTypeScript(entry), argv: [], execArgv: [...threadExecArgv(), '--enable-source-maps'] };
}

let threadFlags: string[] | undefined;

/**
 * The parent's flags that a worker thread accepts. Node refuses to start a worker given a V8 or process-wide
 * flag (`node --max-old-space-size=4096 …` would fail at the first worker); those apply to the whole process
 * anyway, so they are dropped. Node names the refused flags only by refusing them, so a throwaway worker is
 * constructed once per process to learn them, and only when the parent has flags at all.
 */
function threadExecArgv(): string[] {
  if (threadFlags) return threadFlags;
  const wanted = inheritedExecArgv();
  threadFlags = wanted;
  if (wanted.length === 0) return wanted;
  try {
    const probe = new Worker('', { eval: true, execArgv: wanted, stdout: true, stderr: true });
    probe.unref();
    void probe.terminate();
  } catch (err) {
    const refused = refusedFlags(err);
    if (!refused) throw err;
    threadFlags = wanted.filter((a) => !refused.has(a));
  }
  return threadFlags;
}

/** The flags an ERR_WORKER_INVALID_EXEC_ARGV names (`Initiated Worker with invalid execArgv flags: A, B`). */
function refusedFlags(err: unknown): Set<string> | undefined {
  if ((err as { code?: unknown })?.code !== 'ERR_WORKER_INVALID_EXEC_ARGV') return undefined;
  const list = String((err as Error).message).split(': ').slice(1).join(': ');
  return new Set(list.split(', ').filter(Boolean));
}

/** The parent's flags minus tsx's loader (a bundled worker is plain JS and needs no hooks thread). */
function inheritedExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '--require' || a === '--import') && argv[i + 1]?.includes('tsx')) {
      i++;
      continue;
    }
    if (/^--(require|import)=.*tsx/.test(a)) continue;
    out.push(a);
  }
  return out;
}

export function spawnWorker(entry: URL | string, options: WorkerOptions = {}): Worker {
  const { filename, argv, execArgv } = workerEntry(entry);
  return new Worker(filename, { ...options, argv: [...argv, ...(options.argv ?? [])], execArgv: options.execArgv ?? execArgv });
}
