// The worker side of worker-link.ts: a client on the link it was given, one batch, then close.
import { parentPort, workerData } from 'node:worker_threads';
import { openWriterClient, type TradeRecord, type WriterLink } from 'gecko-collector/sender';

const { link, n } = workerData as { link: WriterLink; n: number };
const trade: TradeRecord = {
  id: `solana_1_tx${n}_0_1756390508`,
  poolId: 'solana_examplepool',
  blockNumber: 1,
  txHash: `tx${n}`,
  txFromAddress: 'wallet',
  fromTokenAmount: '1.5',
  toTokenAmount: '2.25',
  priceUsd: '3.1',
  volumeUsd: '4.65',
  side: 'buy',
  blockTimestamp: '2025-08-28T14:15:08Z',
};
const client = openWriterClient(link, { maxInFlight: 4 });
const ack = await client.write({ trades: [trade] }); // { inserted, duplicates, rejected, deferred? }
await client.close();
parentPort?.postMessage(ack);
