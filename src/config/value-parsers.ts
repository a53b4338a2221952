// Turns a setting's raw value (a flag's or environment variable's text, or a YAML scalar or list) into what
// the run takes, with one wording whatever the source: `<where> must be …, got "<value>"`. Secrets never
// appear in those messages.

import { SettingError } from './setting-error.ts';

/** Where a value came from, as messages name it: `--db`, `GECKO_DB_URL`, `config.yaml: database.url`. */
export type Where = string;

export type ValueParser<T> = (raw: unknown, where: Where) => T;

function shown(raw: unknown): string {
  return JSON.stringify(typeof raw === 'string' ? raw : (raw ?? null));
}

function fail(where: Where, what: string, raw: unknown, secret = false): never {
  throw new SettingError(`${where} must be ${what}${secret ? '' : `, got ${shown(raw)}`}`);
}

/** `from MIN to MAX`, or `>= MIN` when there is no real upper bound. */
function range(min: number, max: number): string {
  return max === Number.MAX_SAFE_INTEGER || max === Number.MAX_VALUE ? `>= ${min}` : `from ${min} to ${max}`;
}

function scalarText(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return undefined;
}

export function intValue(min: number, max = Number.MAX_SAFE_INTEGER): ValueParser<number> {
  return (raw, where) => {
    const text = scalarText(raw);
    const n = text === undefined || text === '' ? Number.NaN : Number(text);
    if (!Number.isInteger(n) || n < min || n > max) fail(where, `an integer ${range(min, max)}`, raw);
    return n;
  };
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds: a number, or a number with a unit (`500ms`, `90s`, `5m`, `1h`, `1d`), as config files write them. */
export function secondsValue(min: number, max: number): ValueParser<number> {
  return (raw, where) => {
    const text = scalarText(raw);
    const m = text === undefined ? null : /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?$/i.exec(text);
    const n = m ? Number(m[1]) * UNIT_SECONDS[(m[2] ?? 's').toLowerCase()]! : Number.NaN;
    if (!Number.isFinite(n) || n < min || n > max)
      fail(where, `a duration in seconds ${range(min, max)} (a number, or with a unit: 90s, 5m, 1h)`, raw);
    return n;
  };
}

export function choiceValue<T extends string>(allowed: readonly T[]): ValueParser<T> {
  return (raw, where) => {
    const text = scalarText(raw)?.toLowerCase();
    const found = allowed.find((a) => a.toLowerCase() === text);
    if (found === undefined) fail(where, `one of ${allowed.join(', ')}`, raw);
    return found;
  };
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

export const booleanValue: ValueParser<boolean> = (raw, where) => {
  if (typeof raw === 'boolean') return raw;
  const text = scalarText(raw)?.toLowerCase();
  if (text !== undefined && TRUE.has(text)) return true;
  if (text !== undefined && FALSE.has(text)) return false;
  return fail(where, 'true or false (also 1/0, yes/no)', raw);
};

export function textValue(what: string, test: (s: string) => boolean, secret = false): ValueParser<string> {
  return (raw, where) => {
    const text = scalarText(raw);
    if (text === undefined || text === '' || !test(text)) fail(where, what, raw, secret);
    return text;
  };
}

/** A list: a YAML sequence, or text separated by commas (flags, environment variables). */
export function listValue(what: string): ValueParser<string[]> {
  return (raw, where) => {
    const items = Array.isArray(raw)
      ? raw.map((x) => scalarText(x))
      : (scalarText(raw)
          ?.split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '') ?? [undefined]);
    if (items.length === 0 || items.some((x) => x === undefined || x === ''))
      fail(where, what, Array.isArray(raw) ? raw.join(',') : raw);
    return items as string[];
  };
}

export function httpUrlValue(): ValueParser<string> {
  return textValue('an http(s) URL', (s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  });
}
