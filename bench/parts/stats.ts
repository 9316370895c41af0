// Small statistics helpers: medians across runs, percentiles of lag samples.

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100): the smallest sample with at least p% of samples at or below it. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(rank, s.length) - 1];
}

export interface LagSummary {
  samples: number;
  /** Ticks where no walsender with the expected application_name was attached (not counted as 0). */
  missing: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarizeLag(samplesMs: number[], missing: number): LagSummary {
  return {
    samples: samplesMs.length,
    missing,
    p50: percentile(samplesMs, 50),
    p95: percentile(samplesMs, 95),
    p99: percentile(samplesMs, 99),
    max: samplesMs.length ? Math.max(...samplesMs) : NaN,
  };
}
