// A whole collection run as a library call: collector threads, one shared rate limit, per-pool cursors;
// resolves with the summary once stopped and drained.
import { runCollection } from 'gecko-collector';

const summary = await runCollection({
  simulate: true, // a local simulator; for the real API give `pools` (or `top`) and `network` instead
  dbUrl: process.argv[2] ?? 'gecko_data.db', // what --db takes: a path, sqlite:///… or postgresql://…
  collectors: 2,
  durationMs: 3000,
});
console.log(JSON.stringify({ stored: summary.stored, allServedStored: summary.simulator?.allServedStored }));
