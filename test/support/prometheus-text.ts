// Prometheus text exposition read back with an independent parser (parse-prometheus-text-format, a port of
// the Prometheus Python client's parser), so tests check the format and the metric types, not our own strings.
// @ts-expect-error: the package ships no type declarations; its shape is declared below.
import parse from 'parse-prometheus-text-format';

export interface ParsedMetric {
  value?: string;
  labels?: Record<string, string>;
  /** Histograms: upper bound → cumulative count. */
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface ParsedFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: ParsedMetric[];
}

export function parsePrometheus(text: string): ParsedFamily[] {
  return (parse as (t: string) => ParsedFamily[])(text);
}
