// doctor on PostgreSQL tells a run that is still going from one that died by the metrics file's process (there is
// no lock file to ask), as status does: a killed run's figures get the "did not finish cleanly" note.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RunMetricsFile, writeMetricsFile } from '../../../src/run/metrics-file.ts';
import { testSchema } from '../../support/postgres.ts';
import { BIN } from '../../support/repo.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-pg-doctor-run-');
const env = { ...process.env, XDG_STATE_HOME: path.join(dir, 'state'), GECKO_LOG_LEVEL: 'warn' };

interface Report {
  localBase: string;
  lastRun: { state: string; finishedAt: string | null } | null;
  notes: string[];
}

function doctor(url: string, ...flags: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'doctor', '--db', url, '--quick', ...flags], {
    cwd: dir,
    env,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const unfinished = (pid: number): RunMetricsFile => ({
  format: 'gecko-collector/run-metrics',
  version: 1,
  writtenAt: Date.parse('2026-01-02T03:04:05Z'),
  startedAt: Date.parse('2026-01-02T03:00:00Z'),
  finishedAt: null,
  pid,
  manager: 'direct',
  pragmas: 'optimized',
  batching: true,
  snapshot: null,
  lock: { lockErrors: 0, busyRetries: 0 },
});

describe('doctor on PostgreSQL: the last run', () => {
  it('is still going while its process lives, and died (with a note) once it does not', async () => {
    const t = await testSchema();
    const first = doctor(t.url, '--json');
    expect(first.code, first.stderr).toBe(0);
    const { localBase } = JSON.parse(first.stdout) as Report;
    fs.mkdirSync(path.dirname(localBase), { recursive: true });

    await writeMetricsFile(`${localBase}.metrics.json`, unfinished(process.pid));
    const live = JSON.parse(doctor(t.url, '--json').stdout) as Report;
    expect(live.lastRun).toMatchObject({ state: 'running', finishedAt: null });
    expect(live.notes.join('\n')).not.toMatch(/did not finish/);
    expect(doctor(t.url, '--wide').stdout).toMatch(/^figures of\s+\S+ \S+Z \(run still going\)$/m);

    // A process that has ended: its pid is free (pids are not reused this soon).
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeMetricsFile(`${localBase}.metrics.json`, unfinished(Number(gone.stdout)));
    const dead = JSON.parse(doctor(t.url, '--json').stdout) as Report;
    expect(dead.lastRun).toMatchObject({ state: 'died', finishedAt: null });
    expect(dead.notes.join('\n')).toMatch(
      /the last run did not finish cleanly \(killed or crashed; nothing writes the database now\): its figures stop at /,
    );
    expect(doctor(t.url, '--wide').stdout).toMatch(/^figures of\s+\S+ \S+Z \(run did not finish cleanly\)$/m);
  });
});
