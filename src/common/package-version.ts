// The package's own version, read from its package.json: for `--version`, bug reports and /metrics' build info.

import fs from 'node:fs';

/** The nearest package.json named gecko-collector above this compiled file (dist/src/common in a clone or an install). */
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
