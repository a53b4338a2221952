// The unit project's setup file: a unit test starts no thread, process or server and connects to none, so
// `npm run test:unit` stays fast and needs nothing running. Each way to start one throws, naming where the test belongs.
import child_process from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import worker_threads from 'node:worker_threads';

function refuse(what: string): never {
  throw new Error(
    `a unit test (test/unit) ${what}: unit tests start no threads, processes or servers; move it to test/integration`,
  );
}

class NoWorker {
  constructor() {
    refuse('started a worker thread');
  }
}

const patch = (target: object, name: string, value: unknown) =>
  Object.defineProperty(target, name, { value, configurable: true, writable: true });

patch(worker_threads, 'Worker', NoWorker);
for (const fn of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
  patch(child_process, fn, () => refuse(`started a child process (child_process.${fn})`));
}
patch(net.Server.prototype, 'listen', () => refuse('started a server (listen)'));
patch(net.Socket.prototype, 'connect', () => refuse('opened a network connection'));
// ESM named imports of builtins (`import { Worker } from 'node:worker_threads'`) see the patched values.
syncBuiltinESMExports();
