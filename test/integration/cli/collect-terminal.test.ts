// `collect` on a real pseudo-terminal (script(1)) at 80 columns, as a user in tmux sees it: no line longer than
// 80, no JSON on the screen, the progress line redrawn in place on stderr, warnings (the API throttling) on
// lines of their own, never glued to the progress line, and the summary at the end.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-pty-');
let sim: GeckoSimulator;
beforeAll(async () => {
  // Throttling makes the collectors warn while the progress line is up.
  sim = await startGeckoSimulator({
    seed: 9,
    pools: 4,
    tradesPerSecond: 3,
    historySeconds: 120,
    faults: { throttleRate: 0.35, retryAfter: 0 },
  });
});
afterAll(() => sim.close());

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are what is stripped
const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]/g;

function runOnTerminal(command: string): Promise<{ code: number | null; screen: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  // What a user's shell has: no test runner, no log level set.
  delete env.VITEST;
  delete env.GECKO_LOG_LEVEL;
  delete env.GECKO_LOG_FORMAT;
  delete env.NO_COLOR;
  delete env.COLUMNS;
  const child = spawn('script', ['-qec', `stty cols 80 rows 40; ${command}`, '/dev/null'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let screen = '';
  child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
  child.stderr.on('data', (d: Buffer) => (screen += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, screen })));
}

describe('collect on a terminal', () => {
  it('at 80 columns: progress redrawn in place, warnings on their own lines, no JSON, summary last', async () => {
    const db = path.join(dir, 'pty.db');
    const pools = sim.pools.map((p) => p.address).join(',');
    const { code, screen } = await runOnTerminal(
      `exec ${process.execPath} ${BIN} collect --pools ${pools} --base-url ${sim.baseUrl} --duration 3 --collectors 2 --poll-interval 0.3 --calls-per-minute 6000 --db ${db}`,
    );
    expect(code, screen).toBe(0);
    // What stays visible of each line: the text after its last carriage return; every redraw is a segment.
    const lines = screen.replace(/\r\n/g, '\n').split('\n');
    const segments = lines.flatMap((l) => l.split('\r')).map((s) => s.replace(ESCAPES, ''));
    for (const s of segments) expect(s.length, JSON.stringify(s)).toBeLessThanOrEqual(80);
    expect(segments.filter((s) => s.trimStart().startsWith('{'))).toEqual([]);

    // Stored, gaps and the queue first; the cut takes the end.
    const isProgress = (s: string) =>
      /^stored [\d,]+ \([\d,]+\/s\) \| (coverage (\d+%|–) \| )?gaps [\d,]+ \| queue [\d,]+ \| /.test(s);
    const isWarning = (s: string) => /\bWARN\b/.test(s);
    expect(segments.filter(isProgress).length).toBeGreaterThan(1);
    expect(segments.filter(isWarning).length).toBeGreaterThan(0);
    expect(segments.filter((s) => isProgress(s) && isWarning(s))).toEqual([]);
    // A warning starts its own line: what came before it on that line was cleared (\r then erase-line).
    for (const l of lines.filter((x) => /\bWARN\b/.test(x.replace(ESCAPES, '')))) {
      const visible = l.split('\r').at(-1)!.replace(ESCAPES, '');
      expect(visible, JSON.stringify(l)).toMatch(
        // A collector's polls, or the main thread's reads of the pools' counters.
        /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ WARN {2}(collector|gecko-client): throttled by GeckoTerminal/,
      );
    }
    // Progress redraws share one screen line instead of leaving a stale copy per redraw.
    expect(lines.filter((l) => isProgress(l.replace(ESCAPES, ''))).length).toBeLessThan(
      segments.filter(isProgress).length,
    );

    const visible = lines.map((l) => l.split('\r').at(-1)!.replace(ESCAPES, ''));
    const summaryAt = visible.indexOf('collection summary');
    expect(summaryAt).toBeGreaterThan(0);
    expect(visible.slice(summaryAt).some(isProgress)).toBe(false);
    expect(visible.slice(summaryAt).some(isWarning)).toBe(false);
    expect(visible.slice(summaryAt)).toContain('  outcome:             collected');
  });
});
