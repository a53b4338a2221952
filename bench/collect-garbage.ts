// A full GC of the harness's own heap on demand (no --expose-gc needed): peak RSS is process-wide, so the
// harness clears its set-up garbage (trade plans, previous runs) before a measured run starts.

import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    }
  }
  gcFn();
}
