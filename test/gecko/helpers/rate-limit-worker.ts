// Worker thread for the rate-limit test: joins the shared limiter, waits for "go", takes `calls` slots
// and reports each granted slot time and the time its acquire() actually resolved.

import { parentPort, workerData } from 'node:worker_threads';
import { SharedRateLimiter } from '../../../src/rate-limit/shared-rate-limiter.ts';

export interface RateLimitWorkerData {
  buffer: SharedArrayBuffer;
  calls: number;
}

export interface RateLimitWorkerResult {
  grants: number[];
  resolved: number[];
}

const { buffer, calls } = workerData as RateLimitWorkerData;
const limiter = SharedRateLimiter.fromShared(buffer);
const port = parentPort!;
const now = () => performance.timeOrigin + performance.now();

port.once('message', async () => {
  const result: RateLimitWorkerResult = { grants: [], resolved: [] };
  for (let i = 0; i < calls; i++) {
    result.grants.push(await limiter.acquire());
    result.resolved.push(now());
  }
  port.postMessage(result);
});
port.postMessage('ready');
