// "Above a threshold continuously for a while": fires once when that becomes true, resolves once when the
// value falls back to or below the threshold. Pure, so the timing rules are unit-tested without waiting.
import type { AlertState } from './event';

export class ThresholdMonitor {
  private aboveSince: number | null = null;

  /**
   * `firing`: the alert was left firing by an earlier evaluator (it stays quiet until it resolves).
   * `age`: the value is an age in seconds (lag: how long the oldest unapplied change has waited). An age
   * of v was at least v - s seconds old s seconds ago, so it has been above the threshold since at least
   * (v - threshold) seconds: a new evaluator (stream retried, resumed, another worker) knows that at once.
   */
  constructor(readonly threshold: number, readonly forMs: number, private firing = false, private readonly age = false) {}

  /** Feed a sample; returns the transition it causes, if any. A null value (unknown) changes nothing. */
  update(value: number | null, nowMs: number): AlertState | null {
    if (value === null) return null;
    if (value > this.threshold) {
      this.aboveSince ??= nowMs;
      if (this.age) this.aboveSince = Math.min(this.aboveSince, nowMs - (value - this.threshold) * 1000);
      if (!this.firing && nowMs - this.aboveSince >= this.forMs) {
        this.firing = true;
        return 'firing';
      }
      return null;
    }
    this.aboveSince = null;
    if (!this.firing) return null;
    this.firing = false;
    return 'resolved';
  }

  /** Since when the value has been above the threshold (ms), or null. */
  get since(): number | null {
    return this.aboveSince;
  }
}
