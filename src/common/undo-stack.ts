// A start-up that takes several resources one after the other: each registers how to let go of itself, and if
// a later step fails, unwind() lets go of everything taken so far, newest first (Node 20 has no
// AsyncDisposableStack).

export class UndoStack {
  private readonly undos: (() => unknown)[] = [];

  /** Registers how to let go of what was just taken; returns `value` so a step reads as one line. */
  push<T>(value: T, undo: (value: T) => unknown): T {
    this.undos.push(() => undo(value));
    return value;
  }

  /**
   * Lets go of everything, newest first. A release that throws does not stop the others: its error goes to
   * `onError`, so the caller can still rethrow the failure that made it unwind.
   */
  async unwind(onError: (err: unknown) => void): Promise<void> {
    for (let undo = this.undos.pop(); undo; undo = this.undos.pop()) {
      try {
        await undo();
      } catch (err) {
        onError(err);
      }
    }
  }

  /** The start-up succeeded: what was taken now belongs to its owner, who releases it at close. */
  clear(): void {
    this.undos.length = 0;
  }
}
