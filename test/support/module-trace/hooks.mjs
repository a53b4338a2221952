// Module resolve hook for tests: appends every module URL a process (and its threads) resolves to $MODULE_TRACE_FILE.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.MODULE_TRACE_FILE, `${resolved.url}\n`);
  return resolved;
}
