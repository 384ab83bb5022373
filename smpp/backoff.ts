/** Exponential back-off with jitter, shared by reconnects, throttling pauses and submit retries. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before attempt `n` (0-based): base * 2^n capped at max, then "equal jitter" (half fixed, half
 * random) so a fleet of binds that lost the same SMSC does not reconnect in lock-step.
 */
export function backoffDelay(policy: BackoffPolicy, n: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n, 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}
