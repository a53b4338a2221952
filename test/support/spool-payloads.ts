// Deterministic write batches for the deferred-queue tests: the child process and the test build the same
// payload from the same index, so "identical payload" can be checked across a SIGKILL.
import type { WritePayload } from '../../src/protocol/messages.ts';

export function makePayload(i: number, trades = 2): WritePayload {
  const poolId = `solana_pool${i % 7}`;
  return {
    trades: Array.from({ length: trades }, (_, k) => ({
      id: `solana_${1000 + i}_0xtx${i}_${k}_${1_700_000_000 + i}`,
      poolId,
      blockNumber: 1000 + i,
      txHash: `0xtx${i}`,
      txFromAddress: k % 2 === 0 ? `0xfrom${k}` : null,
      // 70-digit decimals: must come back exactly as written.
      fromTokenAmount: `${`${i}`.padEnd(60, '7')}.0000000001`,
      toTokenAmount: `0.${`${k}`.padStart(69, '0')}`,
      priceUsd: '1.23456789012345678901234567890',
      volumeUsd: `${i * 10 + k}.5`,
      side: k % 2 === 0 ? 'buy' : 'sell',
      blockTimestamp: new Date(Date.UTC(2025, 7, 28, 16, 15, i % 60)).toISOString().replace('.000Z', 'Z'),
    })),
    cursors: [
      { poolId, lastTradeId: `t${i}`, lastTradeTimestamp: '2025-08-28T16:15:08Z', polledAt: '2025-08-28T16:16:00Z' },
    ],
  };
}
