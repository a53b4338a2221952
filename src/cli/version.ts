// `gecko-collector --version`: the package version, and the Node and SQLite it runs on (bug reports need all three).

import fs from 'node:fs';

/** The package's own package.json: the nearest one above this compiled file (dist/src/cli in a clone or an install). */
export function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; ) {
    const file = new URL('package.json', dir);
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gecko-collector' && pkg.version) return pkg.version;
    }
    const parent = new URL('..', dir);
    if (parent.href === dir.href) return 'unknown';
    dir = parent;
  }
}

export async function versionLine(): Promise<string> {
  // Loaded here, not at the top: `--help` and every other command line skip better-sqlite3 until they need it.
  const { bundledSqliteVersion } = await import('../storage/sqlite/sqlite-version.ts');
  return `gecko-collector ${packageVersion()} (Node ${process.version}, SQLite ${bundledSqliteVersion()})`;
}
