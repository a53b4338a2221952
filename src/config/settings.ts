// Settings from four sources with one precedence: command-line flag > environment variable > config file >
// default. Each resolved value remembers where it came from (for `config --print` and error messages); a
// default may depend on settings resolved before it (e.g. calls per minute on whether an API key is set).

import type { ConfigFile } from './config-file.ts';
import type { ValueParser } from './value-parsers.ts';

export interface SettingSpec<T = unknown> {
  /** The setting's name, and its flag's (`--<key>`) unless `flag` is false. */
  key: string;
  flag?: false;
  env?: string;
  /** Config file key paths, the first one preferred (the others are accepted aliases). */
  file?: readonly string[];
  /** Never shown (config --print masks it) and never echoed in errors. */
  secret?: boolean;
  parse: ValueParser<T>;
  /** A file value read differently (e.g. `batch.enabled: false` for the `--no-batching` flag). */
  parseFile?: ValueParser<T>;
  /** The value when no source gives one; `get` reads settings listed before this one. */
  fallback?: (get: (key: string) => unknown) => { value: T; note?: string } | undefined;
  /** One line for `config --print`. */
  describe: string;
}

export interface ResolvedSetting {
  key: string;
  value: unknown;
  /** `--db`, `GECKO_DB_URL`, `config.yaml: database.url`, `default`, or `unset`. */
  from: string;
  /** For a value from the config file: which file and key. */
  file?: { path: string; key: string };
  source: 'flag' | 'env' | 'file' | 'default' | 'unset';
  /** Why the default is what it is, when it depends on something. */
  note?: string;
  secret: boolean;
  describe: string;
}

export interface SettingInputs {
  /** parseArgs values: string for string flags, true for boolean ones. */
  flags: Readonly<Record<string, string | boolean | undefined>>;
  env: NodeJS.ProcessEnv;
  file?: ConfigFile | undefined;
}

export class ResolvedSettings {
  private readonly byKey = new Map<string, ResolvedSetting>();

  add(s: ResolvedSetting): void {
    this.byKey.set(s.key, s);
  }

  get<T>(key: string): T | undefined {
    return this.byKey.get(key)?.value as T | undefined;
  }

  entry(key: string): ResolvedSetting | undefined {
    return this.byKey.get(key);
  }

  /** True when a flag, variable or the file gave it (not a default). */
  given(key: string): boolean {
    const s = this.byKey.get(key)?.source;
    return s === 'flag' || s === 'env' || s === 'file';
  }

  all(): ResolvedSetting[] {
    return [...this.byKey.values()];
  }
}

/** Every config file key the specs take (for loadConfigFile's unknown-key check). */
export function fileKeysOf(specs: readonly SettingSpec[]): Set<string> {
  return new Set(specs.flatMap((s) => s.file ?? []));
}

/** Resolves `specs` in order; the first bad value throws its SettingError. */
export function resolveSettings(specs: readonly SettingSpec[], inputs: SettingInputs): ResolvedSettings {
  const out = new ResolvedSettings();
  for (const spec of specs) {
    const base = { key: spec.key, secret: spec.secret === true, describe: spec.describe };
    const flag = spec.flag === false ? undefined : inputs.flags[spec.key];
    if (flag !== undefined) {
      const where = `--${spec.key}`;
      out.add({ ...base, value: spec.parse(flag, where), from: where, source: 'flag' });
      continue;
    }
    const env = spec.env === undefined ? undefined : inputs.env[spec.env];
    if (env !== undefined && env.trim() !== '') {
      out.add({ ...base, value: spec.parse(env, spec.env!), from: spec.env!, source: 'env' });
      continue;
    }
    const fileKey = spec.file?.find((k) => inputs.file?.values.has(k));
    if (fileKey !== undefined && inputs.file) {
      const where = `${inputs.file.path}: ${fileKey}`;
      const parse = spec.parseFile ?? spec.parse;
      out.add({
        ...base,
        value: parse(inputs.file.values.get(fileKey), where),
        from: where,
        source: 'file',
        file: { path: inputs.file.path, key: fileKey },
      });
      continue;
    }
    const fallback = spec.fallback?.((key) => out.get(key));
    if (fallback)
      out.add({
        ...base,
        value: fallback.value,
        from: 'default',
        source: 'default',
        ...(fallback.note ? { note: fallback.note } : {}),
      });
    else out.add({ ...base, value: undefined, from: 'unset', source: 'unset' });
  }
  return out;
}

/** The setting as a message names it: `--pools-file`, `GECKO_POOLS_FILE`, `watchlist.file in config.yaml`. */
export function settingName(s: ResolvedSetting): string {
  return s.file ? `${s.file.key} in ${s.file.path}` : s.from;
}

/** What `config --print` shows for a value: secrets masked, lists joined. */
export function displayValue(s: ResolvedSetting): string {
  if (s.value === undefined) return '-';
  if (s.secret) return '******** (set, hidden)';
  if (Array.isArray(s.value)) return s.value.join(',');
  return String(s.value);
}
