// What the CLI refuses or bounds before it runs, as users run it (a child process): pool addresses that are not
// plain tokens, or too long to store, are refused with exit 2 before any file is made; a FIFO given as the import
// file, the pools file or the config file is refused with exit 2 instead of blocking; the start-up metadata fetch
// against an API that never answers ends with --duration; an unreachable API's one-line error names the cause.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CollectionSummary } from '../../../src/run/run-summary.ts';
import { logLines, runCollectChild } from '../../support/collect-child.ts';
import { hostileServers } from '../../support/hostile-gecko-server.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-start-');
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

const hostile = hostileServers();
const api = () => hostile({ pools: [{ address: 'Good', script: { fault: 'none' } }] });

/** A server that takes connections and reads requests but never answers: the first line of each, in order. */
async function blackHole(): Promise<{ baseUrl: string; requests: string[] }> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let head = '';
    socket.on('data', (d: Buffer) => {
      const had = head.includes('\r\n');
      head += d.toString('latin1');
      if (!had && head.includes('\r\n')) requests.push(head.slice(0, head.indexOf('\r\n')));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { baseUrl: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/api/v2`, requests };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function lastLine(stderr: string): string {
  return stderr.trimEnd().split('\n').at(-1)!;
}

// The checks are independent (their own servers, files and processes) and mostly wait on processes: side by side.
describe.concurrent('checks at the start of a run', () => {
  describe('pool addresses are checked before the run', () => {
    it('refuses ".", "..", other non-tokens and ids too long to store: exit 2, the value named, no database made', async () => {
      const s = await api();
      const long = `Pool${'x'.repeat(99)}`;
      const cases: [string[], string][] = [
        [['--pools', '.'], '"."'],
        [['--pools', 'Good,..'], '".."'],
        [['--pools', '%2e%2e'], '"%2e%2e"'],
        [['--pools', '.hidden'], '".hidden"'],
        [['--pools', long], `"${long}"`],
      ];
      const poolsFile = path.join(dir, 'pools.txt');
      fs.writeFileSync(poolsFile, 'Good\n..\n');
      cases.push([['--pools-file', poolsFile], '".."']);
      await Promise.all(
        cases.map(async ([flags, named], i) => {
          const db = path.join(dir, `refused-${i}.db`);
          const run = await runCollectChild(['--base-url', s.baseUrl, ...flags, '--duration', '2', '--db', db]);
          const line = lastLine(run.stderr);
          expect(run.code, `${flags.join(' ')}: ${run.stderr}`).toBe(2);
          expect(line).toMatch(/^gecko-collector collect: invalid pools(-file)? /);
          expect(line).toContain(named);
          expect(line).toMatch(i === 4 ? /110 characters, longer than the 100/ : /plain token/);
          expect(fs.existsSync(db), flags.join(' ')).toBe(false);
        }),
      );
      // Nothing was asked of the API for any of them.
      expect(s.requests).toEqual([]);
    });
  });

  describe('FIFOs are refused, not read', () => {
    it('import FILE, --pools-file and --config naming a FIFO: exit 2, saying so, without waiting for a writer', async () => {
      const fifo = path.join(dir, 'trades.fifo');
      execFileSync('mkfifo', [fifo]);
      const db = path.join(dir, 'fifo.db');
      const cases: [string[], string][] = [
        [['import', fifo, '--db', db], 'import file'],
        [['collect', '--pools-file', fifo, '--db', db, '--duration', '1'], '--pools-file'],
        [['collect', '--config', fifo, '--pools', 'A', '--db', db, '--duration', '1'], 'config file'],
      ];
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.VITEST;
      await Promise.all(
        cases.map(async ([args, what]) => {
          // A run that blocks on the FIFO is killed after 30 s (and fails here with a null code).
          const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
            execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (err, _stdout, stderr) =>
              resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr }),
            );
          });
          expect(r.code, `${args[0]} ${what}: ${r.stderr}`).toBe(2);
          expect(lastLine(r.stderr)).toContain(`${what} ${fifo} is a FIFO (named pipe), not a regular file`);
        }),
      );
      expect(fs.existsSync(db)).toBe(false);
    });
  });

  describe('--duration covers the start-up', () => {
    it('against an API that never answers, the metadata fetch ends with --duration, not after its retries', async () => {
      const hole = await blackHole();
      const run = await runCollectChild([
        ...['--base-url', hole.baseUrl, '--pools', 'Silent', '--duration', '3', '--request-timeout', '4'],
        ...['--log-format', 'json', '--log-level', 'info', '--json', '--db', path.join(dir, 'silent.db')],
      ]);
      expect(run.code, run.stderr.slice(-2000)).toBe(3);
      const summary = JSON.parse(run.stdout) as CollectionSummary;
      expect(summary.outcome).toBe('no-api-success');
      // One metadata attempt, cut at 3 s: its 4 s timeout and the 3 retries after it never came.
      expect(hole.requests.filter((r) => r.includes('/pools/multi/'))).toHaveLength(1);
      expect(logLines(run.stderr).some((l) => String(l.msg).startsWith('pool metadata fetch cut short'))).toBe(true);
    });
  });

  describe('an unreachable API names the cause', () => {
    it('a refused port and an unknown host: the one-line error says ECONNREFUSED / ENOTFOUND', async () => {
      const refused = `http://127.0.0.1:${await freePort()}/api/v2`;
      const cases: [string, RegExp][] = [
        [refused, /\(ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:\d+\): http:\/\/127\.0\.0\.1/],
        ['http://does-not-exist.invalid/api/v2', /\((ENOTFOUND|EAI_AGAIN): getaddrinfo \w+ does-not-exist\.invalid\)/],
      ];
      await Promise.all(
        cases.map(async ([baseUrl, cause], i) => {
          const run = await runCollectChild([
            '--base-url',
            baseUrl,
            '--top',
            '3',
            '--db',
            path.join(dir, `gone-${i}.db`),
          ]);
          expect(run.code, run.stderr).toBe(3);
          const line = lastLine(run.stderr);
          expect(line).toMatch(/^gecko-collector collect: cannot reach GeckoTerminal after 4 attempts /);
          expect(line).toMatch(cause);
        }),
      );
    });
  });
});
