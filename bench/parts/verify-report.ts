// The verification benchmark's result: every run's figures, then medians and the targets: checksum
// verification at most the full sync's time (ratio <= 1), worker peak RSS during a verification <= 300 MB.
import { formatTable, num } from './report';
import { median } from './stats';
import type { VerifyBenchConfig } from './verify-config';
import type { VerifyRunResult } from './verify-run';

export const VERIFY_RATIO_TARGET = 1.0;
export const RSS_TARGET_MB = 300;

const ratio = (r: VerifyRunResult): number => r.checksum.seconds / r.syncSeconds;
/** The target's peak: checksum verification (and rows mode where nothing differs, which reads the same). */
const peak = (r: VerifyRunResult): number => Math.max(r.checksum.rss.peakMb, r.rows.rss.peakMb);

export function formatVerifyReport(cfg: VerifyBenchConfig, accounts: number, runs: VerifyRunResult[]): string {
  const header = ['run', 'sync (s)', 'full phase (s)', 'checksum (s)', 'checksum/sync', 'rows clean (s)', 'peak RSS (MB)', 'rows, 1 byte found (s)', 'its peak RSS (MB)'];
  const line = (label: string, pick: (f: (r: VerifyRunResult) => number) => number): string[] => [
    label,
    num(pick((r) => r.syncSeconds), 2),
    num(pick((r) => r.fullPhaseSeconds ?? NaN), 2),
    num(pick((r) => r.checksum.seconds), 2),
    num(pick(ratio), 2),
    num(pick((r) => r.rows.seconds), 2),
    num(pick(peak), 0),
    num(pick((r) => r.detection.seconds), 2),
    num(pick((r) => r.detection.rss.peakMb), 0),
  ];
  const rows = runs.map((r, i) => line(String(i + 1), (f) => f(r)));
  rows.push(line('median', (f) => median(runs.map(f).filter(Number.isFinite))));
  const medRatio = median(runs.map(ratio));
  const maxRss = Math.max(...runs.map(peak));
  const first = runs[0];
  return [
    '',
    `verification benchmark: pgbench scale ${cfg.scale} (${accounts} pgbench_accounts rows), ${runs.length} run(s); sync = pg-dts task start -> streaming;`,
    `checksum and rows modes verify the streaming task; the third verification finds one changed byte (${first ? `${first.detection.table} key ${first.detection.key.join()}` : '-'})`,
    '',
    ...formatTable(header, rows),
    '',
    `checksum verification / full sync ${num(medRatio, 2)} (median of per-run ratios): ${medRatio <= VERIFY_RATIO_TARGET ? 'meets' : 'misses'} the target (<= ${VERIFY_RATIO_TARGET.toFixed(1)})`,
    `worker peak RSS during checksum (and clean rows) verification ${num(maxRss, 0)} MB (VmHWM, highest of all runs): ${maxRss <= RSS_TARGET_MB ? 'meets' : 'misses'} the target (<= ${RSS_TARGET_MB} MB)`,
    `worker peak RSS while rows mode examined the differing range key by key: ${num(Math.max(...runs.map((r) => r.detection.rss.peakMb)), 0)} MB`,
    `rows compared per verification: ${first ? first.checksum.rows : '-'} in ${first ? first.checksum.ranges : '-'} ranges`,
  ].join('\n');
}
