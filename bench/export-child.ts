// One `gecko-collector …` command run in a process of its own, for bench/export.ts: it writes what the run cost
// (wall and CPU seconds, peak RSS) as JSON to the file named by BENCH_RESULT.

import fs from 'node:fs';
import { main } from '../src/cli/main.ts';

const t0 = performance.now();
const code = await main(process.argv.slice(2));
const wallSeconds = (performance.now() - t0) / 1000;
const usage = process.resourceUsage();
fs.writeFileSync(
  process.env.BENCH_RESULT!,
  JSON.stringify({
    code,
    wallSeconds,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    peakRssMb: usage.maxRSS / 1024,
  }),
);
process.exitCode = code;
