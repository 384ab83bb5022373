import type {
  AdmitLimits,
  AdmitResult,
  AlertAdmission,
  ConsentChange,
  ConsentLedger,
  MoRecord,
} from './consent-ledger.js';
import type { Outbox } from './outbox.js';

/**
 * The embedded consent ledger: the engine's own SMS outbox (lmdb), for one box. Opt-outs, the hourly rate and the
 * once-per-call rule live beside the alerts they govern, so an admission and its count commit in one lmdb transaction.
 */
export class OutboxLedger implements ConsentLedger {
  constructor(private readonly outbox: Outbox) {}

  admit(a: AlertAdmission, limits: AdmitLimits): Promise<AdmitResult> {
    return this.outbox.admitOnly(a, limits);
  }

  async isOptedOut(msisdn: string): Promise<boolean> {
    return this.outbox.isOptedOut(msisdn);
  }

  async setOptOut(msisdn: string, optedOut: boolean, at: number): Promise<void> {
    await this.outbox.setOptOut(msisdn, optedOut, at);
  }

  async consentHistory(msisdn: string): Promise<ConsentChange[]> {
    return this.outbox.consentHistory(msisdn);
  }

  async lastAlertFor(msisdn: string): Promise<string | undefined> {
    return this.outbox.lastAlertFor(msisdn);
  }

  async recordMo(mo: MoRecord): Promise<void> {
    await this.outbox.recordMo(mo);
  }

  async moLog(limit?: number): Promise<MoRecord[]> {
    const all = this.outbox.moLog();
    return limit === undefined ? all : all.slice(-limit);
  }
}
