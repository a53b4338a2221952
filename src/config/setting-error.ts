// A bad setting from any source (flag, environment variable, config file): one line naming where it came
// from and what is wrong. The CLI exits 2 on it (its code is CONFIG_INVALID, as ConfigError's).

import { GeckoCollectorError } from '../errors.ts';

export class SettingError extends GeckoCollectorError {
  readonly code = 'CONFIG_INVALID';
}
