import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs (pino). `fd` 2 keeps stdout clean for commands whose output is data (analyze --json). */
export function createLogger(level: string, fd: 1 | 2 = 1): Logger {
  return pino(
    {
      level,
      base: { svc: 'callguard' },
      redact: { paths: ['*.password', '*.token', 'config.smpp.url'], censor: '***' },
    },
    pino.destination({ fd, sync: fd === 2 }),
  );
}
