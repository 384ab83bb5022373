/**
 * The one lifecycle every long-lived part follows: idle → starting → running → closing → closed, `start()` and
 * `close()` idempotent, and what was started undone in reverse order. fastify's shape: one state, close hooks run in
 * reverse start order, both after a failed start and on close.
 */
export type LifecycleState = 'idle' | 'starting' | 'running' | 'closing' | 'closed';

/** Undo steps pushed as each start step succeeds; `unwind` runs them newest first, each once, whatever fails. */
export class CloserStack {
  private readonly closers: Array<{ name: string; close: () => unknown }> = [];

  /** Register how to undo a step that just succeeded. */
  push(name: string, close: () => unknown): void {
    this.closers.push({ name, close });
  }

  get size(): number {
    return this.closers.length;
  }

  /** Run every closer, newest first; a failing one is reported to `onError` and the rest still run. */
  async unwind(onError: (name: string, err: unknown) => void): Promise<void> {
    for (let c = this.closers.pop(); c; c = this.closers.pop()) {
      try {
        await c.close();
      } catch (err) {
        onError(c.name, err);
      }
    }
  }
}
