#!/usr/bin/env node
// CLI launcher: Node 20 cannot run TypeScript by itself, so the CLI runs from its esbuild bundle (ts-entry.mjs).
import { importTypeScript } from './ts-entry.mjs';

const { main } = /** @type {{ main: (argv: string[]) => Promise<number> }} */ (await importTypeScript(new URL('../src/cli/main.ts', import.meta.url)));
process.exitCode = await main(process.argv.slice(2));
