// `gecko-collector --version`: the package version, and the Node and SQLite it runs on (bug reports need all three).

import pkg from '../../package.json' with { type: 'json' };

export async function versionLine(): Promise<string> {
  // Loaded here, not at the top: `--help` and every other command line skip better-sqlite3 until they need it.
  const { bundledSqliteVersion } = await import('../db/sqlite-version.ts');
  return `gecko-collector ${pkg.version} (Node ${process.version}, SQLite ${bundledSqliteVersion()})`;
}
