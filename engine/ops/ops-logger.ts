import { pino, type DestinationStream, type Logger } from 'pino';
import { numberMaskingOptions } from './number-mask.js';

/**
 * The engine's logger for `serve`: JSON lines (pino) like engine/logger.ts, plus phone-number masking when
 * `log.maskNumbers` is on (the default). `stream` is for tests; by default lines go to stdout.
 */
export function createOpsLogger(level: string, maskNumbers: boolean, stream?: DestinationStream): Logger {
  const opts = {
    level,
    base: { svc: 'callguard' },
    redact: { paths: ['*.password', '*.token', 'config.smpp.url', 'config.http.token'], censor: '***' },
    ...(maskNumbers ? numberMaskingOptions() : {}),
  };
  return pino(opts, stream ?? pino.destination({ fd: 1, sync: false }));
}
