// The YAML config file (`--config FILE`, GECKO_CONFIG): read, parsed, and flattened into `section.key` paths.
// Every key must be one the collector knows: an unknown one (a typo, a setting this collector does not have)
// stops the run with the key's path, rather than being silently ignored.

import { createRequire } from 'node:module';
import { NotRegularFileError, readRegularFileSync } from './regular-file.ts';
import { SettingError } from './setting-error.ts';

// The YAML parser is slow to load: only runs with a config file pay for it.
const loadYaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml') as typeof import('yaml');

export interface ConfigFile {
  /** As given (messages name it so). */
  path: string;
  /** Key path (`database.url`) → YAML value; keys left empty in the file are absent. */
  values: ReadonlyMap<string, unknown>;
}

type YamlMap = Record<string, unknown>;

function isMap(v: unknown): v is YamlMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads `file` and checks its keys against `keys` (the leaf paths the collector takes); `hints` explains keys
 * that are refused on purpose (e.g. `logging.file`).
 */
export function loadConfigFile(
  file: string,
  keys: ReadonlySet<string>,
  hints: Readonly<Record<string, string>> = {},
): ConfigFile {
  let text: string;
  try {
    text = readRegularFileSync(file, 'config file');
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new SettingError(err.message);
    throw new SettingError(
      `cannot read config file ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let doc: unknown;
  try {
    doc = loadYaml().parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const e = err as Error & { linePos?: { line: number; col: number }[] };
    const at = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : '';
    const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new SettingError(`config file ${file}: ${at}${first}`);
  }
  const values = new Map<string, unknown>();
  if (doc === null || doc === undefined) return { path: file, values };
  const sections = new Set(
    [...keys].flatMap((k) =>
      k
        .split('.')
        .slice(0, -1)
        .map((_, i, a) => a.slice(0, i + 1).join('.')),
    ),
  );
  if (!isMap(doc))
    throw new SettingError(`config file ${file}: expected a map of settings (database:, api:, collection:, ...)`);

  const walk = (node: YamlMap, prefix: string) => {
    for (const [name, value] of Object.entries(node)) {
      const key = prefix ? `${prefix}.${name}` : name;
      if (hints[key] !== undefined) throw new SettingError(`config file ${file}: ${key}: ${hints[key]}`);
      if (keys.has(key) && !(isMap(value) && sections.has(key))) {
        if (value !== null && value !== undefined) values.set(key, value);
        continue;
      }
      if (sections.has(key)) {
        if (value === null || value === undefined) continue;
        if (!isMap(value))
          throw new SettingError(`config file ${file}: ${key} must be a map of settings, got ${JSON.stringify(value)}`);
        walk(value, key);
        continue;
      }
      const siblings = [...keys, ...sections]
        .filter(
          (k) => k.startsWith(prefix ? `${prefix}.` : '') && !k.slice(prefix ? prefix.length + 1 : 0).includes('.'),
        )
        .map((k) => k.slice(prefix ? prefix.length + 1 : 0));
      throw new SettingError(
        `config file ${file}: unknown key ${key} (${prefix ? `keys under ${prefix}` : 'sections'}: ${[...new Set(siblings)].sort().join(', ')})`,
      );
    }
  };
  walk(doc, '');
  return { path: file, values };
}
