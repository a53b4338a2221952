// Your own worker threads write through the same funnel: each gets a link (its own port to the writer
// thread); a batch is acknowledged only after its COMMIT.
import { Worker } from 'node:worker_threads';
import { LockOptimizedDatabaseManager, linkTransferList } from 'gecko-collector';

const db = new LockOptimizedDatabaseManager({ url: process.argv[2] ?? 'sqlite:///gecko_data.db' });
await db.initialize();
const workers = [0, 1].map(async (n) => {
  const link = await db.linkForWorker();
  const worker = new Worker(new URL('./worker-link-thread.js', import.meta.url), {
    workerData: { link, n },
    transferList: linkTransferList(link),
  });
  const [ack] = await Promise.all([
    new Promise((resolve) => worker.once('message', resolve)),
    new Promise((resolve) => worker.once('exit', resolve)),
  ]);
  return ack;
});
console.log(JSON.stringify(await Promise.all(workers)));
await db.close();
