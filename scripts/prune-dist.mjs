// After `tsc`: removes compiled files whose TypeScript source is gone (renamed or deleted), so no stale test
// or module in dist/ keeps running. tsc's incremental build never deletes outputs by itself.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
let removed = 0;
function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(file);
      if (fs.readdirSync(file).length === 0) fs.rmdirSync(file);
      continue;
    }
    const m = /^(.*)\.(js|js\.map|d\.ts|d\.ts\.map)$/.exec(path.relative(dist, file));
    if (!m) continue;
    if (!fs.existsSync(path.join(root, `${m[1]}.ts`))) {
      fs.rmSync(file);
      removed++;
    }
  }
}
for (const top of ['src', 'workers', 'bench', 'test', 'examples'])
  if (fs.existsSync(path.join(dist, top))) walk(path.join(dist, top));
if (removed > 0) process.stderr.write(`prune-dist: removed ${removed} compiled file(s) whose source is gone\n`);
