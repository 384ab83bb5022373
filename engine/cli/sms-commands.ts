import { randomUUID } from 'node:crypto';
import { createAlertService, startSmscSimulator, type AlertServiceEvent } from '../../smpp/index.js';
import { alertServiceOptions } from '../alerts/alert-delivery.js';
import type { CallguardConfig } from '../config/config-schema.js';
import { ConfigError } from '../config/load-config.js';
import type { Logger } from '../logger.js';
import { openStore } from '../store/open-store.js';

export interface NotifyResult {
  alertId: string;
  to: string;
  state: 'submitted' | 'delivered' | 'queued' | 'rejected' | 'failed';
  reason?: string;
  messageIds?: string[];
}

/**
 * `callguard notify`: queue one alert through the same persistent outbox and SMPP sender the engine uses, wait until
 * the SMSC has accepted it (submit_sm_resp) or `timeoutMs` passes, then drain and unbind. An alert that could not be
 * sent in time stays in the outbox and goes out with the next sender on the same data directory. With store.url set,
 * consent and the hourly limit are the shared ones the engines use (a number that opted out on any engine is refused).
 */
export async function notify(
  cfg: CallguardConfig,
  log: Logger,
  to: string,
  text: string | undefined,
  timeoutMs: number,
): Promise<NotifyResult> {
  if (!cfg.smpp.url)
    throw new ConfigError(
      'CG_CONFIG_INVALID',
      'no SMSC configured: set CALLGUARD_SMPP_URL (a local simulator: "callguard smsc-sim")',
    );
  const alertId = `cli-${randomUUID()}`;
  let settle!: (r: NotifyResult) => void;
  const done = new Promise<NotifyResult>((r) => (settle = r));
  const onEvent = (e: AlertServiceEvent) => {
    if (!('alertId' in e) || e.alertId !== alertId) return;
    if (e.type === 'submitted') settle({ alertId, to, state: 'submitted', messageIds: e.messageIds });
    else if (e.type === 'failed') settle({ alertId, to, state: 'failed', reason: e.reason });
  };
  const store = cfg.store.url ? await openStore(cfg, log) : null;
  const service = createAlertService({
    ...alertServiceOptions(cfg, cfg.smpp.url, log),
    ...(store?.consent ? { consent: store.consent } : {}),
    onEvent,
  });
  await service.start();
  try {
    const res = await service.enqueue({
      alertId,
      to,
      text: text ?? undefined,
      explanation: text ? undefined : 'test alert sent by the operator (callguard notify)',
    });
    if (!res.accepted) return { alertId, to, state: 'rejected', reason: res.reason };
    const timer = setTimeout(
      () =>
        settle({
          alertId,
          to,
          state: 'queued',
          reason: `not accepted by the SMSC within ${timeoutMs / 1000} s; kept in the outbox`,
        }),
      timeoutMs,
    );
    const r = await done;
    clearTimeout(timer);
    return r;
  } finally {
    await service.close();
    await store?.close();
  }
}

/** `callguard smsc-sim`: the bundled SMSC simulator in the foreground, logging every submit_sm, until a signal. */
export async function runSmscSimulator(log: Logger, host: string, port: number): Promise<void> {
  const sim = await startSmscSimulator({ host, port, logger: log });
  process.stdout.write(
    JSON.stringify({
      msg: 'smsc-sim listening',
      host: sim.host,
      port: sim.port,
      url: `smpp://any:any@${sim.host}:${sim.port}`,
    }) + '\n',
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sim.close();
}
