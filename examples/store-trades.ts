// Fetch a pool's trades and store them through the write funnel, in batches. Runs against a local
// simulator; for the real API drop the simulator and the baseUrl (the public limit is 30 calls/min).
import {
  GeckoTerminalClient,
  LockOptimizedDatabaseManager,
  SharedRateLimiter,
  startGeckoSimulator,
  TradeDataBatchProcessor,
} from 'gecko-collector';

const sim = await startGeckoSimulator({ pools: 2, historySeconds: 600 });
const client = new GeckoTerminalClient({
  baseUrl: sim.baseUrl,
  rateLimiter: new SharedRateLimiter({ callsPerMinute: 30 }),
});

const db = new LockOptimizedDatabaseManager({ url: process.argv[2] ?? 'sqlite:///gecko_data.db' });
await db.initialize(); // the writer thread, WAL, migrations; DatabaseInUseError if another run writes this file

const batches = new TradeDataBatchProcessor(db, 'production', {
  // While the circuit breaker is open, batches go to the durable spool and are replayed when it closes.
  fallback: async (trades) => {
    await db.deferTrades(trades);
  },
});
for (const pool of sim.pools) {
  const trades = await client.getPoolTrades(sim.network, pool.address); // decimals stay exact strings
  await batches.submitTrades(trades).accepted; // waits only when too many trades are pending
}
await batches.flushTrades(); // resolves once everything submitted is committed (or spooled)
const { inserted, duplicates, rejected } = batches.getStats();
console.log(JSON.stringify({ inserted, duplicates, rejected }));
await batches.close();
await db.close(); // after everything posted is committed
await sim.close();
