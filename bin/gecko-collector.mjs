#!/usr/bin/env node
// CLI launcher: Node 20 cannot run TypeScript by itself, so register tsx, then load the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
