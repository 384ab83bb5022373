import type { AlertEvent } from '../../actors/actor-events.js';

/** One alert as the console shows it; the delivery state is read from the outbox when asked. */
export interface RecentAlert {
  alertId: string;
  callId: string;
  at: string;
  level: AlertEvent['level'];
  risk: number;
  explanation: string;
  to: string | null;
  accepted: boolean | null;
  reason: string | null;
}

/** The last `size` alerts the engine raised (newest first), for the operator console. Bounded; nothing persisted. */
export class RecentAlerts {
  private readonly items: RecentAlert[] = [];

  constructor(private readonly size = 50) {}

  add(a: RecentAlert): RecentAlert {
    this.items.unshift(a);
    if (this.items.length > this.size) this.items.length = this.size;
    return a;
  }

  list(): readonly RecentAlert[] {
    return this.items;
  }
}
