import { pino, type DestinationStream, type Logger } from 'pino';
import { numberMaskingOptions } from './number-mask.js';

/**
 * The engine's logger for `serve`: JSON lines (pino) like engine/logger.ts, plus phone-number masking when
 * `log.maskNumbers` is on (the default). `stream`: tests pass their own, 2 means stderr; by default lines go to stdout.
 */
export function createOpsLogger(level: string, maskNumbers: boolean, stream?: DestinationStream | 2): Logger {
  const opts = {
    level,
    base: { svc: 'callguard' },
    redact: { paths: ['*.password', '*.token', 'config.smpp.url', 'config.http.token'], censor: '***' },
    ...(maskNumbers ? numberMaskingOptions() : {}),
  };
  // fd 2 (synchronous) keeps stdout clean for commands whose output is data, as engine/logger.ts does.
  const dest =
    stream === 2 ? pino.destination({ fd: 2, sync: true }) : (stream ?? pino.destination({ fd: 1, sync: false }));
  return pino(opts, dest);
}
