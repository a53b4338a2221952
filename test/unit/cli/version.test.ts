// `gecko-collector --version` (and -V, version): the package's version with the Node and SQLite it runs on.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { captureIo } from '../../support/capture-io.ts';
import { REPO_ROOT } from '../../support/repo.ts';

const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

describe('gecko-collector --version', () => {
  it.each(['--version', '-V', 'version'])('%s prints the version line and exits 0', async (flag) => {
    const c = captureIo();
    expect(await main([flag], c.io)).toBe(0);
    expect(c.stdout()).toBe(
      `gecko-collector ${version} (Node ${process.version}, SQLite ${c.stdout().match(/SQLite (\d+\.\d+\.\d+)\)/)?.[1]})\n`,
    );
    expect(c.stdout()).toMatch(/SQLite 3\.\d+\.\d+\)\n$/);
    expect(c.stderr()).toBe('');
  });

  it('is named in the top-level help', async () => {
    const c = captureIo();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.stdout()).toContain("'gecko-collector --version'");
  });
});
