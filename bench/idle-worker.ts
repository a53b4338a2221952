// A worker for bench/worker-startup.ts: loads what a collector thread loads (the writer client and its
// dependencies), says it is ready, then idles until terminated.
import { parentPort } from 'node:worker_threads';
import '../src/sender/writer-link.ts';

parentPort!.postMessage('ready');
setInterval(() => {}, 60_000);
