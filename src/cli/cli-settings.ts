// The one place that loads the commands' settings: --config/GECKO_CONFIG, then flag > environment > file >
// default (the specs are in common-specs.ts and collect-specs.ts).

import { type ConfigFile, loadConfigFile } from '../config/config-file.ts';
import { fileKeysOf, type ResolvedSettings, resolveSettings, type SettingSpec } from '../config/settings.ts';
import { collectSpecs } from './collect-specs.ts';

/** Keys refused with a reason rather than as unknown. */
const FILE_HINTS: Record<string, string> = {
  'logging.file':
    'not supported: logs go to stderr; let the service manager keep them (journalctl), or redirect stderr',
};

/** Every key a config file may hold, whichever command reads it. */
const ALL_FILE_KEYS = fileKeysOf(collectSpecs({ tty: false }));

export interface LoadedSettings {
  settings: ResolvedSettings;
  file: ConfigFile | undefined;
}

/** --config FILE or GECKO_CONFIG, then every spec resolved; SettingError for the first bad value. */
export function loadSettings(
  specs: readonly SettingSpec[],
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: NodeJS.ProcessEnv = process.env,
): LoadedSettings {
  const configFlag = flags.config;
  const configPath =
    typeof configFlag === 'string' ? configFlag : env.GECKO_CONFIG?.trim() ? env.GECKO_CONFIG.trim() : undefined;
  const file = configPath === undefined ? undefined : loadConfigFile(configPath, ALL_FILE_KEYS, FILE_HINTS);
  return { settings: resolveSettings(specs, { flags, env, file }), file };
}

/** parseArgs options for `specs`: boolean flags for boolean settings, strings for the rest, plus --config. */
export function flagOptions(
  specs: readonly SettingSpec[],
  booleans: readonly string[],
): Record<string, { type: 'string' | 'boolean' }> {
  const out: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' } };
  for (const s of specs) if (s.flag !== false) out[s.key] = { type: booleans.includes(s.key) ? 'boolean' : 'string' };
  return out;
}
