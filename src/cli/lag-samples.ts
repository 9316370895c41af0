// Lag samples `status --watch` collects from successive `status` queries, merged with the workflow's
// own lagHistory when it reports one. Bounded: only the chart's window is kept.
import type { IncrementalStatus } from '../../workflows/status';
import { LAG_WINDOW_SECONDS, type LagSample } from './lag-chart';

export class LagSamples {
  private readonly byTime = new Map<number, LagSample>();

  constructor(private readonly windowSeconds = LAG_WINDOW_SECONDS) {}

  /** Adds the status's current lag (keyed by reportedAt: the same report polled twice counts once) and its history. */
  add(incremental: IncrementalStatus | null | undefined): void {
    if (!incremental) return;
    for (const sample of incremental.lagHistory ?? []) this.put(sample);
    this.put([incremental.reportedAt, incremental.lagSeconds]);
    const newest = Math.max(...this.byTime.keys());
    for (const t of this.byTime.keys()) if (t <= newest - this.windowSeconds * 1000) this.byTime.delete(t);
  }

  samples(): LagSample[] {
    return [...this.byTime.entries()].sort(([a], [b]) => a - b).map(([, s]) => s);
  }

  private put(sample: LagSample): void {
    const t = Date.parse(sample[0]);
    if (Number.isFinite(t) && Number.isFinite(sample[1])) this.byTime.set(t, sample);
  }
}
