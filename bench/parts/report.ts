// The result table: medians over runs for native and pg-dts side by side, the pg-dts/native ratio for
// catch-up (target ≤ 1.0) and the pg-dts p99 steady-state lag (target ≤ 250 ms), then per-run figures.
import type { IncrementalConfig } from './config';
import type { SideResult } from './result';
import { median } from './stats';

export const CATCH_UP_RATIO_TARGET = 1.0;
export const P99_LAG_TARGET_MS = 250;

export interface RunPair {
  native: SideResult;
  pgdts: SideResult;
}

export const num = (v: number | null | undefined, digits: number): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** Columns padded to their widest cell: the first left-aligned, the others right-aligned. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export function formatReport(cfg: IncrementalConfig, runs: RunPair[]): string {
  const m = (pick: (r: SideResult) => number | null, side: 'native' | 'pgdts'): number =>
    median(runs.map((r) => pick(r[side])).filter((v): v is number => v !== null));
  const rows: [string, (r: SideResult) => number | null, number, string][] = [
    ['catch-up (s)', (r) => r.catchUp.seconds, 2, `ratio <= ${CATCH_UP_RATIO_TARGET.toFixed(1)}`],
    ['steady lag p50 (ms)', (r) => r.steady.lag.p50, 0, ''],
    ['steady lag p95 (ms)', (r) => r.steady.lag.p95, 0, ''],
    ['steady lag p99 (ms)', (r) => r.steady.lag.p99, 0, `pg-dts <= ${P99_LAG_TARGET_MS}`],
    ['steady lag max (ms)', (r) => r.steady.lag.max, 0, ''],
    ['steady load achieved (tps)', (r) => r.steady.tps, 0, ''],
  ];
  const out: string[] = [];
  out.push('');
  out.push(`incremental benchmark: pgbench scale ${cfg.scale}; backlog ${cfg.txns} transactions (${cfg.txns * 4} row changes);`);
  out.push(`steady state pgbench -R ${cfg.steadyRate} -c ${cfg.clients} -j ${cfg.threads}: replay_lag every ${cfg.sampleMs} ms for ${cfg.steadySeconds} s after a ${cfg.warmupSeconds} s warm-up;`);
  out.push(`${runs.length} run(s), medians`);
  out.push('');
  // Ratios are taken within each run (native and pg-dts measured minutes apart under the same background
  // load), then the median of those: steadier on a shared machine than a ratio of two medians.
  const ratio = (pick: (r: SideResult) => number | null): number =>
    median(runs.map((r) => (pick(r.pgdts) ?? NaN) / (pick(r.native) ?? NaN)).filter((v) => Number.isFinite(v)));
  const header = ['', 'native', 'pg-dts', 'pg-dts/native', 'target'];
  const table = rows.map(([label, pick, digits, target]) => {
    const withRatio = label.startsWith('catch-up') || label.includes('p99');
    return [label, num(m(pick, 'native'), digits), num(m(pick, 'pgdts'), digits), withRatio ? num(ratio(pick), 2) : '', target];
  });
  out.push(...formatTable(header, table));
  out.push('(medians over runs; pg-dts/native is the median of the per-run ratios)');
  out.push('');
  const catchUpRatio = ratio((r) => r.catchUp.seconds);
  const p99 = m((r) => r.steady.lag.p99, 'pgdts');
  out.push(`catch-up ratio pg-dts/native ${num(catchUpRatio, 2)}: ${catchUpRatio <= CATCH_UP_RATIO_TARGET ? 'meets' : 'misses'} the target (<= ${CATCH_UP_RATIO_TARGET.toFixed(1)})`);
  out.push(`pg-dts steady-state p99 lag ${num(p99, 0)} ms: ${p99 <= P99_LAG_TARGET_MS ? 'meets' : 'misses'} the target (<= ${P99_LAG_TARGET_MS} ms)`);
  out.push('');
  out.push('per run:');
  runs.forEach((r, i) => {
    const side = (s: SideResult): string => {
      const stall = s.catchUp.finalStallSeconds > 1 ? ` (slot confirmation still for the last ${s.catchUp.finalStallSeconds.toFixed(1)} s)` : '';
      return `catch-up ${num(s.catchUp.seconds, 2)} s (attached after ${num(s.catchUp.attachSeconds, 2)} s)${stall}, lag p50/p95/p99/max ${[s.steady.lag.p50, s.steady.lag.p95, s.steady.lag.p99, s.steady.lag.max].map((v) => num(v, 0)).join('/')} ms, ${s.verifiedRows} rows verified`;
    };
    out.push(`  run ${i + 1}  native: ${side(r.native)}`);
    out.push(`         pg-dts: ${side(r.pgdts)}`);
    out.push(`         catch-up ratio ${num(r.pgdts.catchUp.seconds / r.native.catchUp.seconds, 2)}`);
  });
  return out.join('\n');
}
