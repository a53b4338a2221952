// One signal that aborts when any of its sources does, with listeners removed on dispose. Not AbortSignal.any:
// on Node 20 it retains every combined signal on a long-lived source (nodejs/node#55351), and a collector
// combines its stop signal with a fresh timeout on every request for hours.

export interface LinkedSignal {
  signal: AbortSignal;
  dispose(): void;
}

export function linkSignals(sources: readonly (AbortSignal | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  const unlinks: (() => void)[] = [];
  for (const source of sources) {
    if (!source) continue;
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const onAbort = () => controller.abort(source.reason);
    source.addEventListener('abort', onAbort, { once: true });
    unlinks.push(() => source.removeEventListener('abort', onAbort));
  }
  return {
    signal: controller.signal,
    dispose: () => {
      for (const unlink of unlinks.splice(0)) unlink();
    },
  };
}
