// A vitest setup file: with GECKO_TEST_TIMES=<file>, appends one JSON line per test file with its wall time and
// CPU time (this process's threads, plus the child processes it waited for), to find where the suite's time goes.
import fs from 'node:fs';
import { afterAll, beforeAll } from 'vitest';

const out = process.env.GECKO_TEST_TIMES;

/** CPU ms of the child processes this process has reaped (cutime + cstime in /proc/self/stat, at 100 Hz). */
function childrenCpuMs(): number {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

if (out) {
  let file = '';
  let wall0 = 0;
  let cpu0 = process.cpuUsage();
  let children0 = 0;
  // vitest reads the first parameter's destructuring pattern for fixtures; this hook uses none.
  // biome-ignore lint/correctness/noEmptyPattern: see above
  beforeAll(({}, suite) => {
    file = suite.file.filepath;
    wall0 = performance.now();
    cpu0 = process.cpuUsage();
    children0 = childrenCpuMs();
  });
  afterAll(() => {
    const cpu = process.cpuUsage(cpu0);
    fs.appendFileSync(
      out,
      `${JSON.stringify({
        file: file.replace(/^.*\/dist\//, ''),
        wallMs: Math.round(performance.now() - wall0),
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        childrenCpuMs: childrenCpuMs() - children0,
      })}\n`,
    );
  });
}
