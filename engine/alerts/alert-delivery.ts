import { join, resolve } from 'node:path';
import { createAlertService, startSmscSimulator, type AlertService, type SmscSimulator } from '../../smpp/index.js';
import type { ConsentLedger } from '../../smpp/index.js';
import type { CallguardConfig } from '../config/config-schema.js';
import type { Logger } from '../logger.js';

/**
 * The engine's SMS side: the SMPP alert service over the persistent outbox, and — when no SMSC is configured — the
 * bundled SMSC simulator on loopback so a first run shows alerts end to end (logged loudly as not a real SMSC).
 */
export class AlertDelivery {
  service: AlertService | null = null;
  simulator: SmscSimulator | null = null;
  /** The shared consent ledger (PostgreSQL store), set before start(); null: the outbox keeps consent (one box). */
  consent: ConsentLedger | null = null;
  /** Seconds from each submit_sm to the SMSC's response (the engine feeds its metrics with it). */
  onSubmitResponse: ((seconds: number) => void) | null = null;

  constructor(
    private readonly cfg: CallguardConfig,
    private readonly log: Logger,
  ) {}

  /** The SMSC URL list in use (the simulator's when none is configured). */
  smscUrl = '';

  async start(): Promise<void> {
    const c = this.cfg.smpp;
    let url = c.url;
    if (!url) {
      this.simulator = await startSmscSimulator({
        port: c.simulatorPort,
        host: '127.0.0.1',
        logger: this.log.child({ component: 'smsc-simulator' }),
      });
      url = `smpp://callguard:simulator@127.0.0.1:${this.simulator.port}`;
      this.log.warn(
        { port: this.simulator.port },
        'no SMSC configured (CALLGUARD_SMPP_URL): alerts go to the BUNDLED SMSC SIMULATOR on loopback, not to ' +
          'subscribers',
      );
    }
    this.smscUrl = url;
    this.service = createAlertService({
      ...alertServiceOptions(this.cfg, url, this.log),
      ...(this.consent ? { consent: this.consent } : {}),
      onSubmitResponse: (s) => this.onSubmitResponse?.(s),
    });
    await this.service.start();
  }

  async close(): Promise<void> {
    await this.service?.close();
    this.service = null;
    await this.simulator?.close();
    this.simulator = null;
  }
}

/** Map the configuration onto the alert service's options (shared by the engine and `callguard notify`). */
export function alertServiceOptions(cfg: CallguardConfig, url: string, log: Logger) {
  const c = cfg.smpp;
  return {
    smsc: url,
    dataDir: join(resolve(cfg.data.dir), 'outbox'),
    sender: c.sender,
    window: c.window,
    tps: c.tps,
    systemType: c.systemType,
    enquireLinkIntervalMs: c.enquireLinkSeconds * 1000,
    responseTimeoutMs: c.responseTimeoutSeconds * 1000,
    validityMinutes: c.validityMinutes,
    limits: { perHour: c.perHour, oncePerCall: true },
    templates: { brand: c.brand, language: c.language },
    logger: log.child({ component: 'smpp' }),
  };
}
