import type { LoggerOptions } from 'pino';

/**
 * Phone-number masking for logs. A number keeps its country code and first digits and its last two digits, the rest
 * becomes '*': +33612345678 → +33612****78. Applied to every log line of the process (pino formatters and the
 * message), so call, SIP and SMS lines never carry a subscriber's full number when `log.maskNumbers` is on.
 */

/** Mask one number (digits with or without '+'); other text is returned as is. */
export function maskNumber(n: string): string {
  const m = /^(\+?)(\d+)$/.exec(n);
  if (!m) return n;
  const [, plus, d] = m;
  if (d.length <= 4) return plus + '*'.repeat(d.length);
  const head = d.length >= 9 ? 5 : 0;
  return plus + d.slice(0, head) + '*'.repeat(d.length - head - 2) + d.slice(-2);
}

/** Keys whose values are numbers or addresses: any run of 5+ digits in them is masked. */
const NUMBER_KEYS = new Set([
  'to',
  'from',
  'msisdn',
  'number',
  'numbers',
  'caller',
  'callee',
  'subscriber',
  'aor',
  'uri',
  'destination_addr',
  'source_addr',
  'destination',
  'source',
  'participant',
  'e164',
]);
/** Identifier fields, left as they are (a Call-ID may hold digits; it is not a number). */
const ID_KEYS = new Set([
  'callId',
  'sessionId',
  'alertId',
  'id',
  'threadId',
  'messageId',
  'messageIds',
  'svc',
  'component',
]);
/**
 * In any other string: '+' then 7–15 digits, a bare run of 9–15 digits standing alone (a number written without
 * '+'), or the user part of a sip:/sips:/tel: URI.
 */
const ANYWHERE = /(\+\d{7,15}(?!\d)|(?<![\w.+-])\d{9,15}(?![\w]))|((?:sips?|tel):\+?)(\d{5,15})(?!\d)/g;
const DIGIT_RUN = /\+?\d{5,15}(?!\d)/g;

/**
 * A bare digit run right after one of these names is a quantity, not a phone number: `command_length 2147483648`,
 * `seq=123456789`, `bytes: 1048576000`. (A snake_case or camelCase identifier as the name counts too: protocol
 * fields are written that way; people's numbers are announced by words such as "to", "from" or "number".)
 */
const QUANTITY_BEFORE =
  /(?:\b[a-z]+_[a-z_]+|\b[a-z]+[A-Z]\w*|\b(?:length|len|size|bytes|count|seq|sequence|ssrc|timestamp|ts|offset|port|pid|status|ms|us|ns|samples))\s*[=:]?\s*$/;

/** Mask numbers inside free text (log messages, error strings). */
export function maskText(s: string): string {
  if (!/\d{5}/.test(s)) return s;
  return s.replace(
    ANYWHERE,
    (
      all: string,
      plusNum: string | undefined,
      scheme: string | undefined,
      user: string | undefined,
      offset: number,
    ) => {
      if (scheme) return scheme + maskNumber(user!);
      if (!plusNum!.startsWith('+') && QUANTITY_BEFORE.test(s.slice(Math.max(0, offset - 40), offset))) return all;
      return maskNumber(plusNum!);
    },
  );
}

function maskKeyed(s: string): string {
  return s.replace(DIGIT_RUN, (n) => maskNumber(n));
}

/** A copy of a log object with every number masked (the object itself is never changed). Depth-bounded. */
export function maskNumbersDeep(value: unknown, key = '', depth = 0): unknown {
  if (typeof value === 'string')
    return NUMBER_KEYS.has(key) ? maskKeyed(value) : ID_KEYS.has(key) ? value : maskText(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskNumbersDeep(v, key, depth + 1));
  if (value instanceof Error)
    return maskNumbersDeep({ type: value.name, message: value.message, stack: value.stack }, key, depth + 1);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = maskNumbersDeep(v, k, depth + 1);
  return out;
}

/**
 * pino options that mask numbers in every line: the merged object (formatters.log) and string arguments (the message),
 * for the root logger and all its children.
 */
export function numberMaskingOptions(): Pick<LoggerOptions, 'formatters' | 'hooks'> {
  return {
    formatters: { log: (obj) => maskNumbersDeep(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        for (let i = 0; i < args.length; i++) if (typeof args[i] === 'string') args[i] = maskText(args[i] as string);
        return method.apply(this, args as Parameters<typeof method>);
      },
    },
  };
}
