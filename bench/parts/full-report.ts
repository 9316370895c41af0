// The full benchmark's result: per case, medians of each side's seconds and the medians of the per-run
// ratios pg-dts / raw pipe (target <= 1.1) and pg-dts / native initial sync (target < 1.0), then a
// summary over cases and every run's figures.
import type { FullCase } from './full-cases';
import type { FullConfig } from './full-config';
import type { NativeFullResult } from './full-native';
import type { PgDtsFullResult } from './full-pgdts';
import type { RawPipeResult } from './raw-pipe';
import { formatTable, num } from './report';
import { median } from './stats';

/** pg-dts's schema + full sync takes at most 1.1 times the raw binary COPY pipe + key build. */
export const RAW_RATIO_TARGET = 1.1;
/** … and less time than native logical replication's initial sync. */
export const NATIVE_RATIO_TARGET = 1.0;

export interface FullRun {
  raw: RawPipeResult[];
  native: NativeFullResult | null;
  pgdts: PgDtsFullResult | null;
}

export interface FullCaseResult {
  c: FullCase;
  runs: FullRun[];
}

/** The strictest anchor of a run: the faster of its raw pipes. */
const bestRaw = (r: FullRun): number => (r.raw.length ? Math.min(...r.raw.map((x) => x.seconds)) : NaN);
const finite = (v: number[]): number[] => v.filter((x) => Number.isFinite(x));
const med = (v: (number | null | undefined)[]): number => median(finite(v.map((x) => x ?? NaN)));

function verdict(ratio: number, target: number, strict: boolean): string {
  if (!Number.isFinite(ratio)) return '';
  const ok = strict ? ratio < target : ratio <= target;
  return `${ok ? 'meets' : 'misses'} ${strict ? '<' : '<='} ${target.toFixed(2)}`;
}

function caseBlock(res: FullCaseResult): string[] {
  const { c, runs } = res;
  const out: string[] = [];
  out.push(`${c.title}: ${c.rows} rows, ${runs.length} run(s)`);
  const pg = (r: FullRun): number => r.pgdts?.seconds ?? NaN;
  const rows: string[][] = [];
  const methods = [...new Set(runs.flatMap((r) => r.raw.map((x) => x.method)))];
  for (const m of methods) {
    const pick = (r: FullRun): number => r.raw.find((x) => x.method === m)?.seconds ?? NaN;
    const copy = med(runs.map((r) => r.raw.find((x) => x.method === m)?.copySeconds));
    const keys = med(runs.map((r) => r.raw.find((x) => x.method === m)?.keySeconds));
    rows.push([`raw pipe, ${m} (copy ${num(copy, 2)} + keys ${num(keys, 2)})`, num(med(runs.map(pick)), 2), num(med(runs.map((r) => pg(r) / pick(r))), 2), '']);
  }
  if (methods.length) {
    const ratio = med(runs.map((r) => pg(r) / bestRaw(r)));
    rows.push([methods.length > 1 ? 'raw pipe, faster of the above' : 'raw pipe', num(med(runs.map(bestRaw)), 2), num(ratio, 2), `<= ${RAW_RATIO_TARGET.toFixed(2)}`]);
  }
  if (runs.some((r) => r.native)) {
    const ratio = med(runs.map((r) => (r.native ? pg(r) / r.native.seconds : NaN)));
    rows.push(['native initial sync', num(med(runs.map((r) => r.native?.seconds)), 2), num(ratio, 2), `< ${NATIVE_RATIO_TARGET.toFixed(2)}`]);
  }
  const phase = (label: string, key: keyof PgDtsFullResult['phases']): void => {
    rows.push([`  ${label}`, num(med(runs.map((r) => r.pgdts?.phases[key])), 2), '', '']);
  };
  if (!runs.some((r) => r.pgdts)) {
    out.push(...formatTable(['', 'seconds', 'pg-dts / this', 'target'], rows).map((l) => `  ${l}`));
    return out;
  }
  rows.push(['pg-dts schema + full (task)', num(med(runs.map(pg)), 2), '', '']);
  phase('start -> precheck', 'start');
  phase('precheck', 'precheck');
  phase('schema', 'schema');
  phase('full (+ after-data schema)', 'full');
  phase('released -> result seen', 'end');
  // Activity run times from the history: the schema phase is createSchema; the full phase is fullSync,
  // then finishSchema (secondary indexes, foreign keys, sequence positions).
  const names = [...new Set(runs.flatMap((r) => (r.pgdts?.activities ?? []).map((a) => a.name)))];
  const activitySeconds = (r: FullRun, name: string): number =>
    r.pgdts ? r.pgdts.activities.filter((a) => a.name === name).reduce((n, a) => n + a.seconds, 0) : NaN;
  for (const name of names) rows.push([`  activity ${name}`, num(med(runs.map((r) => activitySeconds(r, name))), 2), '', '']);
  const fullOnly = med(runs.map((r) => (r.pgdts?.phases.full ?? NaN) / bestRaw(r)));
  if (Number.isFinite(fullOnly)) rows.push(['  full phase alone / raw pipe', '', num(fullOnly, 2), '']);
  out.push(...formatTable(['', 'seconds', 'pg-dts / this', 'target'], rows).map((l) => `  ${l}`));
  return out;
}

export function formatFullReport(cfg: FullConfig, results: FullCaseResult[]): string {
  const out: string[] = [''];
  out.push(`full benchmark: ${cfg.runs} run(s) per case; seconds are medians over runs, ratios the median of the per-run ratios.`);
  out.push(`targets: pg-dts <= ${RAW_RATIO_TARGET} × the raw binary COPY pipe + primary-key build, and faster than native initial sync.`);
  out.push('');
  for (const r of results) {
    out.push(...caseBlock(r));
    out.push('');
  }
  out.push('summary:');
  const summary = results.map(({ c, runs }) => {
    const pg = (r: FullRun): number => r.pgdts?.seconds ?? NaN;
    const raw = med(runs.map((r) => pg(r) / bestRaw(r)));
    const nat = med(runs.map((r) => pg(r) / (r.native?.seconds ?? NaN)));
    return [c.name, num(med(runs.map(bestRaw)), 2), num(med(runs.map((r) => r.native?.seconds)), 2), num(med(runs.map(pg)), 2),
      num(raw, 2), verdict(raw, RAW_RATIO_TARGET, false), num(nat, 2), verdict(nat, NATIVE_RATIO_TARGET, true)];
  });
  out.push(...formatTable(['case', 'raw (s)', 'native (s)', 'pg-dts (s)', 'pg-dts/raw', 'target', 'pg-dts/native', 'target'], summary).map((l) => `  ${l}`));
  out.push('');
  out.push('per run:');
  for (const { c, runs } of results) {
    runs.forEach((r, i) => {
      const raw = r.raw.map((x) => `${x.method} ${num(x.seconds, 2)} s (copy ${num(x.copySeconds, 2)} + keys ${num(x.keySeconds, 2)})`).join(', ');
      const p = r.pgdts;
      const pgdts = p
        ? `pg-dts ${num(p.seconds, 2)} s (start/precheck/schema/full/result ${[p.phases.start, p.phases.precheck, p.phases.schema, p.phases.full, p.phases.end].map((v) => num(v, 2)).join('/')}); ` +
          `pg-dts/raw ${num(p.seconds / bestRaw(r), 2)}, pg-dts/native ${num(p.seconds / (r.native?.seconds ?? NaN), 2)}; ${p.verifiedRows} rows verified; ` +
          `activities ${p.activities.map((a) => `${a.name} ${num(a.seconds, 2)}`).join(', ')}; ` +
          `${p.signals} progress signals, history ${p.historyEvents} events${p.historyBytes === null ? '' : ` / ${num(p.historyBytes / 1e6, 2)} MB`}`
        : 'pg-dts not run';
      out.push(`  ${c.name} run ${i + 1}: raw ${raw || '-'}; native ${num(r.native?.seconds, 2)} s; ${pgdts}`);
    });
  }
  return out.join('\n');
}
