// Starts worker threads (plain or piscina) from TypeScript modules. Node 20 cannot strip types and ignores
// `--import` in a worker's execArgv, so a `.ts` entry goes through a small JS bootstrap that registers tsx.

import { Worker, type WorkerOptions } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BOOTSTRAP = fileURLToPath(new URL('./tsx-bootstrap.mjs', import.meta.url));

export interface WorkerEntry {
  /** The file the thread actually starts. */
  filename: string;
  /** argv to pass so the bootstrap finds the real entry (empty for a JS entry). */
  argv: string[];
}

/** Resolves a worker module (file URL or absolute path) to what `new Worker` / piscina must be given. */
export function workerEntry(entry: URL | string): WorkerEntry {
  const file = entry instanceof URL ? fileURLToPath(entry) : entry;
  if (!file.endsWith('.ts')) return { filename: file, argv: [] };
  return { filename: BOOTSTRAP, argv: ['--gecko-ts-entry', pathToFileURL(file).href] };
}

export function spawnWorker(entry: URL | string, options: WorkerOptions = {}): Worker {
  const { filename, argv } = workerEntry(entry);
  return new Worker(filename, { ...options, argv: [...argv, ...(options.argv ?? [])] });
}
