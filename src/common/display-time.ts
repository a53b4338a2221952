// The one time format a person reads (doctor, status, progress, logs on a terminal, summaries): UTC to the
// second, `2026-12-07 17:40:03Z`. Machine output (--json, JSON logs, stored values) keeps its exact forms.

import { timestampMs } from './stored-time.ts';

/** `ms` since the epoch as `YYYY-MM-DD HH:MM:SSZ` (UTC). */
export function displayTimeMs(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** An ISO or stored timestamp as `YYYY-MM-DD HH:MM:SSZ`; text that is neither is returned as it is. */
export function displayTime(value: string): string {
  const ms = timestampMs(value);
  return Number.isFinite(ms) ? displayTimeMs(ms) : value;
}

/** A duration for people: `850 ms`, `12.5 s`, `4.2 min`, `3.1 h`, `2.0 d`. */
export function displayDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}
