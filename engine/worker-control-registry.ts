import { MessagePort as NodeMessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { ControlHello, WorkerControlApi, WorkerDescription } from '../actors/worker-control.js';

const DESCRIBE_TIMEOUT_MS = 2000;

/**
 * Keeps a comlink proxy to each pool worker's control API. Workers announce themselves through piscina's message
 * event; a worker that no longer answers is dropped (its replacement announces itself).
 */
export class WorkerControlRegistry {
  private readonly workers = new Map<number, { port: NodeMessagePort; api: Comlink.Remote<WorkerControlApi> }>();

  /** Feed every message piscina reports from a worker; control hellos are kept, anything else ignored. */
  onWorkerMessage(msg: unknown): void {
    const hello = msg as ControlHello;
    if (!hello || hello.type !== 'callguard-control' || !hello.port) return;
    const port = hello.port as unknown as NodeMessagePort;
    port.unref();
    this.workers.get(hello.threadId)?.port.close();
    this.workers.set(hello.threadId, {
      port,
      api: Comlink.wrap<WorkerControlApi>(nodeEndpoint(port as unknown as Parameters<typeof nodeEndpoint>[0])),
    });
    // A worker is forgotten when its thread is gone (its end of the channel closes), not when it is slow to answer.
    port.once('close', () => {
      if (this.workers.get(hello.threadId)?.port === port) this.workers.delete(hello.threadId);
    });
  }

  /**
   * Ask every known worker to describe itself; a busy worker that does not answer in time is left out of this answer
   * only.
   */
  async describeAll(): Promise<WorkerDescription[]> {
    const entries = [...this.workers.entries()];
    const answers = await Promise.all(
      entries.map(async ([id, w]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), DESCRIBE_TIMEOUT_MS)));
          const d = await Promise.race([w.api.describe() as Promise<WorkerDescription>, timeout]);
          if (!d) throw new Error('no answer');
          return d;
        } catch {
          void id;
          return null;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return answers.filter((d): d is WorkerDescription => d !== null).sort((a, b) => a.threadId - b.threadId);
  }

  close(): void {
    for (const w of this.workers.values()) w.port.close();
    this.workers.clear();
  }
}
