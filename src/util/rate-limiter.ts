// Token-bucket limiter over two dimensions (rows or other units, and bytes) for the throttle settings.
// Callers on hot paths check `limited` first: when nothing is limited they skip `take` entirely.
//
// A request is paid in installments: the first waiter takes whatever tokens there are, sleeps until
// more have accrued, and repeats. So a request larger than the bucket still passes after time
// proportional to its size, and a new limit applies to a waiting request at once. Waiters are served
// one at a time, in order, so many small callers cannot starve a large one.

export interface RateLimits {
  /** Units (rows, row changes, queries) per second; undefined: unlimited. */
  perSecond?: number;
  /** Bytes per second; undefined: unlimited. */
  bytesPerSecond?: number;
}

/** Burst allowance in seconds of rate: small, so a rate measured over 1 s windows stays near the limit. */
const BURST_SECONDS = 0.2;
/** Longest sleep between rechecks, so setLimits reaches a waiter quickly even if its wake-up is missed. */
const MAX_SLEEP_MS = 100;

class Bucket {
  tokens = 0; // starts empty: a fresh limiter must not exceed the rate in its first second
  private at = performance.now();
  constructor(public rate: number) {}

  refill(now: number): void {
    this.tokens = Math.min(this.rate * BURST_SECONDS, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }
}

function checkRate(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a finite number > 0 or undefined, got ${v}`);
}

export class RateLimiter {
  private units: Bucket | null = null;
  private bytes: Bucket | null = null;
  /** Settles when every earlier waiter has been served. */
  private queue: Promise<void> = Promise.resolve();
  private waiting = 0;
  /** Ends the current waiter's sleep early (setLimits). */
  private wake: (() => void) | null = null;

  constructor(limits: RateLimits = {}) {
    this.setLimits(limits);
  }

  /** False when no limit is set: the caller may skip `take` (and its promise) altogether. */
  get limited(): boolean {
    return this.units !== null || this.bytes !== null;
  }

  /** Replaces both limits; applies to a request that is waiting now as well. */
  setLimits(limits: RateLimits): void {
    checkRate('perSecond', limits.perSecond);
    checkRate('bytesPerSecond', limits.bytesPerSecond);
    const now = performance.now();
    this.units = RateLimiter.retune(this.units, limits.perSecond, now);
    this.bytes = RateLimiter.retune(this.bytes, limits.bytesPerSecond, now);
    this.wake?.();
  }

  /** Waits until `units` and `bytes` fit under the limits. Returns at once for unlimited dimensions. */
  async take(units: number, bytes: number): Promise<void> {
    if (!this.limited) return;
    if (this.waiting === 0 && this.tryTakeNow(units, bytes)) return;
    this.waiting++;
    const turn = this.queue.then(() => this.payInInstallments(units, bytes));
    this.queue = turn;
    try {
      await turn;
    } finally {
      this.waiting--;
    }
  }

  private static retune(bucket: Bucket | null, rate: number | undefined, now: number): Bucket | null {
    if (rate === undefined) return null;
    if (!bucket) return new Bucket(rate);
    bucket.refill(now); // tokens accrued so far count at the old rate
    bucket.rate = rate;
    bucket.tokens = Math.min(bucket.tokens, rate * BURST_SECONDS);
    return bucket;
  }

  private tryTakeNow(units: number, bytes: number): boolean {
    const now = performance.now();
    this.units?.refill(now);
    this.bytes?.refill(now);
    if ((this.units && this.units.tokens < units) || (this.bytes && this.bytes.tokens < bytes)) return false;
    if (this.units) this.units.tokens -= units;
    if (this.bytes) this.bytes.tokens -= bytes;
    return true;
  }

  private async payInInstallments(units: number, bytes: number): Promise<void> {
    const owed = { units, bytes };
    for (;;) {
      const now = performance.now();
      let sleepMs = 0;
      for (const dim of ['units', 'bytes'] as const) {
        const bucket = this[dim];
        if (!bucket) {
          owed[dim] = 0; // that limit was lifted (or never set)
          continue;
        }
        bucket.refill(now);
        const paid = Math.min(Math.max(bucket.tokens, 0), owed[dim]);
        bucket.tokens -= paid;
        owed[dim] -= paid;
        if (owed[dim] > 0) sleepMs = Math.max(sleepMs, (owed[dim] / bucket.rate) * 1000);
      }
      if (owed.units <= 0 && owed.bytes <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(MAX_SLEEP_MS, Math.max(1, Math.ceil(sleepMs))));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }
}

/** Limits for a throttle section (`rps`, `mbps` in 1e6 bytes per second), as the spec writes them. */
export function limitsOf(section: { rps?: number; mbps?: number } | undefined): RateLimits {
  return { perSecond: section?.rps, bytesPerSecond: section?.mbps === undefined ? undefined : section.mbps * 1e6 };
}
