import { AlertRecords } from '../ops/alert-records.js';
import { SubscriberStore } from '../ops/subscriber-store.js';
import type { CallguardStore, StoreHealth } from './store.js';

/**
 * The embedded store of one box (the default): subscribers and alert records in their lmdb environments under
 * data.dir, consent in the engine's own SMS outbox (so `consent` is null). Reads are synchronous memory-mapped
 * lookups, which is why the SIP path can ask it on every INVITE without waiting; it is never "down".
 */
export class LmdbStore implements CallguardStore {
  readonly kind = 'lmdb' as const;
  readonly subscribers: SubscriberStore;
  readonly alerts: AlertRecords;
  readonly consent = null;
  private readonly opened = Date.now();

  constructor(dataDir: string) {
    this.subscribers = new SubscriberStore(dataDir);
    try {
      this.alerts = new AlertRecords(dataDir);
    } catch (err) {
      void this.subscribers.close();
      throw err;
    }
  }

  health(): StoreHealth {
    return { state: 'up', since: this.opened, lastError: null };
  }

  watchHealth(): void {
    // Never down: a local file that fails is a disk error, thrown where it happens.
  }

  async probe(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    await this.subscribers.close();
    await this.alerts.close();
  }
}
