// Cleanups that run when the current test file ends (test/support/file-end-hook.ts, a setup file, runs them in its
// afterAll). Where files share a worker (isolate: false) a support module is loaded once for all of them, so an
// afterAll at its top level would be registered for the first file only; a setup file runs for every file.
const pending: (() => unknown)[] = [];

/** Runs `fn` after the test file that is running now (or being collected), after the file's own hooks. */
export function atFileEnd(fn: () => unknown): void {
  pending.push(fn);
}

/** The file's cleanups, last registered first. */
export async function runFileEnd(): Promise<void> {
  for (const fn of pending.splice(0).reverse()) await fn();
}
