// Where a run keeps the local files no setting places: on PostgreSQL its spool, the spool's lock and the last
// run's metrics (an SQLite run keeps them beside its database file). Never the working directory, which may
// be `/`, read-only, or a repository.

import os from 'node:os';
import path from 'node:path';

/**
 * systemd's `StateDirectory=` (`$STATE_DIRECTORY`, the first of a `:` list), else
 * `$XDG_STATE_HOME/gecko-collector`, else `~/.local/state/gecko-collector`. Relative values are ignored, as
 * the XDG base directory spec asks.
 */
export function stateDirectory(env: NodeJS.ProcessEnv = process.env, home: () => string = os.homedir): string {
  const systemd = env.STATE_DIRECTORY?.split(':')[0];
  if (systemd && path.isAbsolute(systemd)) return path.normalize(systemd);
  const xdg = env.XDG_STATE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'gecko-collector');
  return path.join(home(), '.local', 'state', 'gecko-collector');
}
