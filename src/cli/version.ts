// `gecko-collector --version`: the package version, and the Node and SQLite it runs on (bug reports need all three).

import { packageVersion } from '../common/package-version.ts';

export async function versionLine(): Promise<string> {
  // Loaded here, not at the top: `--help` and every other command line skip better-sqlite3 until they need it.
  const { bundledSqliteVersion } = await import('../storage/sqlite/sqlite-version.ts');
  return `gecko-collector ${packageVersion()} (Node ${process.version}, SQLite ${bundledSqliteVersion()})`;
}
