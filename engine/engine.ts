import type { CallguardConfig } from './config/config-schema.js';
import { redactConfig } from './config/load-config.js';
import type { Logger } from './logger.js';
import { Supervisor } from './supervisor.js';

/**
 * The long-running engine: owns every component and their lifecycle (start in dependency order, close in reverse).
 * Ingest (SIPREC), the HTTP API and SMPP delivery attach here as they land.
 */
export class Engine {
  readonly supervisor: Supervisor;
  private started = false;

  constructor(readonly config: CallguardConfig, readonly log: Logger) {
    this.supervisor = new Supervisor(config, log.child({ component: 'supervisor' }));
  }

  async start(): Promise<void> {
    this.log.info({ config: redactConfig(this.config) }, 'callguard starting');
    await this.supervisor.start();
    this.started = true;
    this.log.info('callguard ready');
  }

  async close(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.supervisor.close();
    this.log.info('callguard stopped');
  }
}
