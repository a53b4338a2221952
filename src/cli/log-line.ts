// A log record as one line a person reads on a terminal: time (the one display format), level, component, the
// message, then its fields as key=value (errors as their type, message and code; nested objects by dotted key);
// no JSON blob. JSON lines are for --log-format json. Not pino-pretty: its singleLine mode still prints the fields
// as one JSON object and errors with their stack, which is the blob this line exists to avoid.

import { displayTimeMs } from '../common/display-time.ts';

type Json = Record<string, unknown>;

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Fields every record has, or that the line shows in its own place. */
const OWN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'component']);

/** An error (serialized by pino, or a thread's plain copy) as `Type: message [CODE]`, the stack only if asked. */
function errorText(e: Json, withStack: boolean): string {
  const type = typeof e.type === 'string' && e.type !== 'Error' ? `${e.type}: ` : '';
  const code = typeof e.code === 'string' ? ` [${e.code}]` : '';
  const stack = withStack && typeof e.stack === 'string' ? `\n${e.stack}` : '';
  return `${type}${String(e.message)}${code}${stack}`;
}

const isError = (v: unknown): v is Json =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Json).message === 'string' &&
  (typeof (v as Json).stack === 'string' || typeof (v as Json).type === 'string');

/** A value as it reads after `key=`: bare when it is one word, quoted when it has spaces. */
function valueText(v: unknown): string {
  if (typeof v === 'string') return v !== '' && !/[\s"=]/.test(v) ? v : JSON.stringify(v);
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object' || x === null) ? v.join(',') : JSON.stringify(v);
  return String(v);
}

function fields(record: Json, prefix: string, withStack: boolean, out: string[]): void {
  for (const [key, value] of Object.entries(record)) {
    if (prefix === '' && OWN_FIELDS.has(key)) continue;
    if (value === undefined) continue;
    const name = `${prefix}${key}`;
    if (isError(value)) out.push(`${name}=${valueText(errorText(value, false))}`);
    else if (typeof value === 'object' && value !== null && !Array.isArray(value))
      fields(value as Json, `${name}.`, withStack, out);
    else out.push(`${name}=${valueText(value)}`);
  }
  if (!withStack || prefix !== '') return;
  for (const value of Object.values(record))
    if (isError(value) && typeof value.stack === 'string') out.push(`\n${value.stack}`);
}

export interface LogLineOptions {
  colors: boolean;
  /** Errors' stacks after the line (debug and trace). */
  withStacks: boolean;
}

/** One pino record (parsed) as a terminal line: `2026-12-07 17:40:03Z WARN  writer: message key=value ...`. */
export function formatLogLine(record: Json, options: LogLineOptions): string {
  const level = typeof record.level === 'number' ? record.level : 30;
  const name = (LEVELS[level] ?? String(level)).padEnd(5);
  const tag = options.colors ? `\x1b[${COLOURS[level] ?? '0'}m${name}\x1b[0m` : name;
  const time = displayTimeMs(typeof record.time === 'number' ? record.time : Date.now());
  const component = typeof record.component === 'string' ? `${record.component}: ` : '';
  const rest: string[] = [];
  fields(record, '', options.withStacks, rest);
  const stacks = rest.filter((f) => f.startsWith('\n'));
  const pairs = rest.filter((f) => !f.startsWith('\n'));
  return `${time} ${tag} ${component}${String(record.msg ?? '')}${pairs.length > 0 ? ` ${pairs.join(' ')}` : ''}${stacks.join('')}`;
}
