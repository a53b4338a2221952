// bench:compare on a tiny load: the whole pipeline (ceiling in both orders, direct and funnel threads, medians,
// ratios, report .md + .svg) runs and its figures are sane. Not a performance test: figures are not judged.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { roundRobinOrder } from '../../../bench/arrival-order.ts';
import { prepareCeilingRows } from '../../../bench/ceiling.ts';
import {
  CONTENDERS,
  type CompareRatios,
  type CompareResult,
  parseRate,
  rotationFor,
  runCompare,
  summarizePerRep,
  writeReport,
} from '../../../bench/compare.ts';
import { planProducers } from '../../../src/sim/synthetic-trades.ts';
import { compiled, REPO_ROOT } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-compare-');

/** Minimal XML well-formedness check: one root, balanced tags, quoted attributes, no stray `<` or `&`. */
function checkWellFormedXml(xml: string): string {
  const body = xml.replace(/^\s*<\?xml[^?]*\?>\s*/, '').replace(/<!--[\s\S]*?-->/g, '');
  const token = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|([^<]+)|(<)/g;
  const stack: string[] = [];
  let root: string | undefined;
  for (let m = token.exec(body); m; m = token.exec(body)) {
    const [, close, name, , selfClose, text, stray] = m;
    if (stray) throw new Error(`stray '<' at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
    if (text !== undefined) {
      if (stack.length === 0 && text.trim()) throw new Error(`text outside the root: ${text.slice(0, 40)}`);
      if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[\da-f]+);)/i.test(text))
        throw new Error(`bare '&' in ${text.slice(0, 40)}`);
      continue;
    }
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else {
      if (stack.length === 0 && root !== undefined) throw new Error(`second root <${name}>`);
      root ??= name!;
      if (!selfClose) stack.push(name!);
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('> <')}>`);
  if (!root) throw new Error('no root element');
  return root;
}

describe('bench:compare smoke (4000 trades, 2 collectors, 1 rep)', () => {
  let result: CompareResult;

  it('runs every contender and reports sane, finite figures', async () => {
    result = await runCompare({
      trades: 4000,
      collectors: 2,
      duplicates: 0.3,
      reps: 1,
      workDir: path.join(dir, 'work'),
      command: 'smoke test',
    });
    expect(result.problems).toEqual([]);
    expect(Object.keys(result.contenders).sort()).toEqual([...CONTENDERS].sort());
    expect(result.runs).toHaveLength(CONTENDERS.length);
    expect(result.runs.map((r) => r.contender)).toEqual(rotationFor(1));
    expect([...rotationFor(1)].sort()).toEqual([...CONTENDERS].sort());
    // The funnel ran first, so the ceiling replayed the order its writer stored the batches in.
    expect(result.ceilingOrders.ceiling).toMatch(
      /^funnel arrival order, recorded: .* \d+ of 19 neighbouring batches came from the same producer$/,
    );
    for (const c of CONTENDERS) {
      const s = result.contenders[c];
      expect(s.runs).toBe(1);
      expect(s.storedAll).toBe(true);
      expect(s.median.unique).toBe(2800);
      expect(s.median.stored).toBe(s.median.unique);
      expect(s.median.offered).toBe(4000);
      expect(s.median.rowsPerSec).toBeGreaterThan(0);
      expect(s.median.cpuSeconds).toBeGreaterThan(0);
      expect(s.median.peakRssMb).toBeGreaterThan(0);
      const l = s.median.latencyMs;
      expect(l.p50).toBeGreaterThan(0);
      expect(l.p50).toBeLessThanOrEqual(l.p95);
      expect(l.p95).toBeLessThanOrEqual(l.p99);
    }
    expect(result.contenders.funnel.median.lockErrors).toBe(0);
    for (const c of CONTENDERS)
      expect(result.contenders[c].median.journalMode, c).toBe(c === 'direct-legacy' ? 'delete' : 'wal');
    expect(result.contenders.ceiling.median.lockErrors).toBe(0);
    for (const v of [...Object.values(result.ratios), ...Object.values(result.pairedRatios)]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    expect(result.machine.line).toContain(`Node ${process.version}`);
    expect(result.machine.line).toMatch(/^machine: .+ cores, .+SQLite \d/);
    expect(result.offeredRate.rowsPerSec).toBe(0);
    if (process.platform === 'linux') {
      const t = result.funnelThreads!;
      expect(t.runs).toBe(1);
      expect(t.writerOnCpu).toBeGreaterThan(0);
      expect(t.producersCpu).toBeGreaterThan(0);
      // CPU per row: the writer thread's and the ceiling's, per offered row, and their ratio from the same figures.
      const cpr = result.cpuPerRow!;
      const fun = result.contenders.funnel.median;
      const ceil = result.contenders.ceiling.median;
      expect(fun.writerCpuSeconds).toBeGreaterThan(0);
      expect(fun.writerCpuSeconds!).toBeLessThanOrEqual(fun.cpuSeconds + 0.01);
      // The ceiling's figure is its statement thread's CPU, as the writer's is: part of its process's.
      expect(ceil.writerCpuSeconds).toBeGreaterThan(0);
      expect(ceil.writerCpuSeconds!).toBeLessThanOrEqual(ceil.cpuSeconds + 0.01);
      expect(cpr.writerUs).toBeCloseTo((fun.writerCpuSeconds! * 1e6) / 4000, 1);
      expect(cpr.ceilingUs).toBeCloseTo((ceil.writerCpuSeconds! * 1e6) / 4000, 1);
      expect(cpr.writerUsRange).toEqual([cpr.writerUs, cpr.writerUs]);
      expect(result.ratios.writerCpuOverCeilingCpu).toBeCloseTo(fun.writerCpuSeconds! / ceil.writerCpuSeconds!, 2);
      expect(t.mainCpu).toBeGreaterThan(0);
      // The writer's three parts fill the funnel's timed window (rounded to 10 ms each).
      expect(t.writerOnCpu + t.writerWaitingForCpu + t.writerIdle).toBeGreaterThanOrEqual(
        result.contenders.funnel.median.seconds - 0.03,
      );
    }
    // The temp databases are gone; only the directory remains.
    expect(fs.readdirSync(path.join(dir, 'work'))).toEqual([]);
  });

  it('writes NAME.md with the table and a link to a well-formed NAME.svg beside it', () => {
    const { md, svg } = writeReport(result, path.join(dir, 'results', 'smoke.md'));
    expect(svg).toBe(path.join(dir, 'results', 'smoke.svg'));
    const svgText = fs.readFileSync(svg, 'utf8');
    expect(checkWellFormedXml(svgText)).toBe('svg');
    expect(svgText).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svgText.match(/<rect [^>]*><title>/g)!.length).toBe(CONTENDERS.length * 4); // 1 throughput + 3 latency bars each
    const mdText = fs.readFileSync(md, 'utf8');
    expect(mdText).toContain('](smoke.svg)');
    expect(mdText).toContain(result.machine.line);
    expect(mdText).toContain('`smoke test`');
    expect(mdText).toMatch(/^\| contender \| journal \| rows\/s \|/m);
    for (const label of [
      '| ceiling | wal |',
      '| ceiling (sorted ids) | wal |',
      '| direct (WAL) | wal |',
      '| direct (old settings) | delete |',
      '| funnel | wal |',
    ])
      expect(mdText).toContain(label);
    expect(mdText).toContain('| funnel / ceiling (rows/s) |');
    expect(mdText).toContain('| funnel / direct (WAL) (p99 latency');
    expect(mdText).toContain('| funnel / direct (old settings) (rows/s)');
    // One rep: its ratio is the median and both ends of the range.
    const f = result.pairedRatios.funnelOverCeiling;
    expect(result.pairedRatioRange.funnelOverCeiling).toEqual([f, f]);
    expect(mdText).toContain(
      `| funnel / ceiling (rows/s) | ${result.ratios.funnelOverCeiling.toFixed(3)}× | ${f.toFixed(3)}× | ${f.toFixed(3)}× – ${f.toFixed(3)}× |`,
    );
    if (process.platform === 'linux') {
      expect(mdText).toContain(
        "| funnel writer thread / ceiling with the writer's statements (CPU per row; goal ≤ 1.15) |",
      );
      expect(mdText).toContain('| ceiling, INSERT OR IGNORE (old) |');
      expect(mdText).toMatch(
        /^CPU per row: funnel writer thread \d+\.\d\d µs .* writer \/ ceiling \d+\.\d{3}× \(per rep /m,
      );
    }
    if (process.platform === 'linux')
      expect(mdText).toMatch(/^\| writer, runnable but waiting for a CPU \| \d+\.\d\d \|$/m);
  });

  it('plans the funnel arrival order round-robin, for a ceiling run before any funnel run', () => {
    const { plans } = planProducers(1000, 3, 0.3);
    const { indices } = roundRobinOrder(1000, 3, 0.3, 100);
    expect(indices).toHaveLength(1000);
    expect(indices.slice(0, 100)).toEqual(plans[0]!.indices.slice(0, 100));
    expect(indices.slice(100, 200)).toEqual(plans[1]!.indices.slice(0, 100));
    expect(indices.slice(300, 400)).toEqual(plans[0]!.indices.slice(100, 200));
    const sorted = prepareCeilingRows({ trades: 1000, collectors: 3, duplicates: 0.3, order: 'sorted' });
    const ids = sorted.rows.map((r) => r[0] as string);
    expect(ids).toEqual([...ids].sort());
  });

  it('sums up the per-rep ratios as their median and their range', () => {
    const rep = (funnelOverCeiling: number, p99: number): CompareRatios => ({
      funnelOverCeiling,
      funnelOverCeilingSorted: 0.5,
      funnelOverDirect: 2,
      funnelOverDirectLegacy: 4,
      p99LatencyFunnelOverDirect: p99,
      p99LatencyFunnelOverDirectLegacy: 0.1,
      writerCpuOverCeilingCpu: 1.2,
      ceilingCpuOverIgnoreCpu: 1.1,
      writerCpuOverIgnoreCeilingCpu: 1.3,
    });
    const { pairedRatios, pairedRatioRange } = summarizePerRep([rep(0.9, 0.3), rep(0.7, 0.1), rep(0.8, 0.2)]);
    expect(pairedRatios.funnelOverCeiling).toBe(0.8);
    expect(pairedRatioRange.funnelOverCeiling).toEqual([0.7, 0.9]);
    expect(pairedRatioRange.p99LatencyFunnelOverDirect).toEqual([0.1, 0.3]);
    expect(pairedRatioRange.funnelOverDirect).toEqual([2, 2]);
  });

  it('alternates the order of the contenders rep by rep, the funnel always next to the ceiling', () => {
    expect(rotationFor(1)).toEqual([
      'funnel',
      'ceiling',
      'ceiling-sorted',
      'ceiling-ignore',
      'direct',
      'direct-legacy',
    ]);
    expect(rotationFor(2)).toEqual([
      'direct-legacy',
      'direct',
      'ceiling',
      'ceiling-sorted',
      'ceiling-ignore',
      'funnel',
    ]);
    expect(rotationFor(3)).toEqual(rotationFor(1));
  });

  it('reads --rate as rows/s or a percentage of the ceiling', () => {
    expect(parseRate(undefined)).toEqual({ kind: 'unpaced' });
    expect(parseRate('0')).toEqual({ kind: 'unpaced' });
    expect(parseRate('5000')).toEqual({ kind: 'absolute', rowsPerSec: 5000 });
    expect(parseRate('50%')).toEqual({ kind: 'percent-of-ceiling', percent: 50 });
    expect(typeof parseRate('fast')).toBe('string');
    expect(typeof parseRate('0%')).toBe('string');
    expect(typeof parseRate('-5')).toBe('string');
  });
});

describe('bench:compare CLI flags', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [compiled('bench/compare.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

  it.each([
    [['--trades', 'lots'], /^bench:compare: --trades must be an integer >= 1, got "lots"$/m],
    [['--rate', 'fast'], /^bench:compare: --rate must be rows\/s .* got "fast"$/m],
    [['--report', 'out.html'], /^bench:compare: --report must name a \.md file/m],
    [['--bogus'], /^bench:compare: Unknown option '--bogus'/m],
  ])('%j exits 2 with a one-line reason', (args, reason) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(reason);
  });
});
