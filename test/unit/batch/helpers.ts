// Test doubles for the batch tests: a `process` whose calls the test settles by hand.

export interface Call<T, R> {
  batch: T[];
  at: number;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

/** A process function that records each call and leaves it pending until the test settles it. */
export function manualProcess<T, R>() {
  const calls: Call<T, R>[] = [];
  const process = (batch: T[]) =>
    new Promise<R>((resolve, reject) => {
      calls.push({ batch, at: Date.now(), resolve, reject });
    });
  return { calls, process };
}

/** Tracks whether a promise settled and how, without letting its rejection go unhandled. */
export function track(promise: Promise<unknown>) {
  const state: { settled: boolean; ok: boolean | null; value: unknown; error: unknown } = {
    settled: false,
    ok: null,
    value: undefined,
    error: undefined,
  };
  promise.then(
    (value) => Object.assign(state, { settled: true, ok: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, ok: false, error }),
  );
  return state;
}

export function sqliteError(code: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: simulated`), { code });
}
