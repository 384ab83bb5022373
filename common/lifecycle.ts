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

/**
 * The state of one long-lived part and its once-only close. The part moves `state` through idle → starting →
 * running itself; `close(teardown)` sets 'closing', runs `teardown` once and ends in 'closed' (also when it
 * throws), and every call, the first and any later one, gets the same promise.
 */
export class Lifecycle {
  state: LifecycleState = 'idle';
  private closing: Promise<void> | null = null;

  /** Idempotent: the first call runs `teardown`; every call waits for that one run. */
  close(teardown: () => Promise<void>): Promise<void> {
    this.closing ??= this.runClose(teardown);
    return this.closing;
  }

  private async runClose(teardown: () => Promise<void>): Promise<void> {
    this.state = 'closing';
    try {
      await teardown();
    } finally {
      this.state = 'closed';
    }
  }
}
