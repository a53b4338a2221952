// `gecko-collector --version`: the package version, and the Node and SQLite it runs on (bug reports need all three).

import pkg from '../../package.json' with { type: 'json' };

export async function versionLine(): Promise<string> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(':memory:');
  try {
    const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    return `gecko-collector ${pkg.version} (Node ${process.version}, SQLite ${sqlite})`;
  } finally {
    db.close();
  }
}
