/**
 * Token bucket for a per-bind TPS limit. Burst is 100 ms worth of tokens (at least 1) so a full window
 * is not fired in one instant at an SMSC that counts per sub-second slot. rate <= 0 means unlimited.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly capacity: number;

  constructor(
    private readonly rate: number,
    private readonly now: () => number = Date.now,
  ) {
    this.capacity = rate > 0 ? Math.max(1, Math.ceil(rate / 10)) : Infinity;
    this.tokens = this.capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    if (this.rate > 0 && t > this.last)
      this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
  }

  /** Takes one token if available. */
  tryTake(): boolean {
    if (this.rate <= 0) return true;
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until a token is available (0 if one is now). */
  msUntilToken(): number {
    if (this.rate <= 0) return 0;
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.rate);
  }
}
