// Pure logic of a verification: when a comparison counts as a difference (the re-check rule), which
// keys differ, and the per-table report. No I/O: unit-tested (test/unit/verify.test.ts).
import type { ChunkRange } from '../snapshot/plan';
import type { KeyDifference, RangeAggregate, RangeResult, TableReport, VerifyReport, VerifyTable } from './types';

export const sameAggregate = (a: RangeAggregate, b: RangeAggregate): boolean => a.rows === b.rows && a.hash === b.hash;

/**
 * One comparison of a streaming task: the source read (s1), the destination read once the stream applied
 * past s1's position (d), the source read again (s2).
 * - equal: the destination matches the source as of either read;
 * - different: the source did not change between its two reads (s1 = s2), the destination had applied
 *   every change up to s1, and it still differs: nothing in flight explains it;
 * - in-flux: the source changed meanwhile, this comparison proves nothing.
 */
export type Verdict = 'equal' | 'different' | 'in-flux';

export function judge<T>(s1: T, d: T, s2: T, same: (a: T, b: T) => boolean): Verdict {
  if (same(d, s1) || same(d, s2)) return 'equal';
  return same(s1, s2) ? 'different' : 'in-flux';
}

/**
 * Row hashes of a range: the md5 of each row's text by its key text (the key's text[] literal). Two
 * strings a row and nothing else, as a range's rows are held three times at once (s1, d, s2): the key
 * values are parsed from the key text only for the keys that differ.
 */
export type RowHashes = Map<string, string>;

/** The keys (by key text) whose rows differ between two sides' row hashes, in key-text order. */
export function differingKeys(source: RowHashes, destination: RowHashes): { kt: string; kind: KeyDifference['kind'] }[] {
  const out: { kt: string; kind: KeyDifference['kind'] }[] = [];
  for (const [kt, s] of source) {
    const d = destination.get(kt);
    if (d === undefined) out.push({ kt, kind: 'missing' });
    else if (d !== s) out.push({ kt, kind: 'different' });
  }
  for (const kt of destination.keys()) if (!source.has(kt)) out.push({ kt, kind: 'extra' });
  return out.sort((a, b) => (a.kt < b.kt ? -1 : a.kt > b.kt ? 1 : 0));
}

/**
 * The keys of one comparison that differ for sure (the re-check rule per key): the source row is the same
 * in both source reads (or absent in both), and the destination's, read after the stream applied past the
 * first, is another.
 */
export function settledKeyDifferences(s1: RowHashes, d: RowHashes, s2: RowHashes): { kt: string; kind: KeyDifference['kind'] }[] {
  return differingKeys(s1, d).filter(({ kt }) => s1.get(kt) === s2.get(kt));
}

export function emptyTableReport(t: VerifyTable): TableReport {
  return {
    table: t.key, target: `${t.table.target.schema}.${t.table.target.name}`, keyColumns: t.targetKey.map((k) => k.name),
    ranges: t.ranges.length, rangesDone: 0, rowsCompared: 0, sourceRows: 0, destinationRows: 0,
    differingRanges: [], unsettledRanges: 0, recheckedRanges: 0, differingKeys: [], differingKeyCount: 0, durationMs: 0,
  };
}

/** Adds a range's result to its table's report (keys capped at maxKeys per table). */
export function addRangeResult(report: TableReport, range: ChunkRange, r: RangeResult, maxKeys: number, durationMs: number): TableReport {
  const out: TableReport = {
    ...report,
    rangesDone: report.rangesDone + 1,
    rowsCompared: report.rowsCompared + Math.max(r.sourceRows, r.destinationRows),
    sourceRows: report.sourceRows + r.sourceRows,
    destinationRows: report.destinationRows + r.destinationRows,
    unsettledRanges: report.unsettledRanges + (r.unsettled ? 1 : 0),
    recheckedRanges: report.recheckedRanges + (r.attempts > 1 ? 1 : 0),
    durationMs: report.durationMs + durationMs,
  };
  if (!r.equal && !r.unsettled) {
    out.differingRanges = [...report.differingRanges, { lo: range.lo, hi: range.hi, sourceRows: r.sourceRows, destinationRows: r.destinationRows }];
    out.differingKeys = [...report.differingKeys, ...(r.keys ?? [])].slice(0, maxKeys);
    out.differingKeyCount = report.differingKeyCount + (r.keyCount ?? 0);
  }
  return out;
}

/** The schema section when its differences are confirmed (an unsettled one counts as one unsettled range). */
const settledSchema = (report: VerifyReport) => (report.schema && !report.schema.unsettled ? report.schema : undefined);

/** The report's totals from its tables and its schema section (a table differs in its rows or its schema). */
export function summarize(report: VerifyReport): VerifyReport {
  const differing = report.tables.filter((t) => t.differingRanges.length > 0);
  const schemaTables = (settledSchema(report)?.tables ?? []).map((t) => t.table);
  return {
    ...report,
    differingTables: new Set([...differing.map((t) => t.table), ...schemaTables]).size,
    differences: differing.reduce((n, t) => n + Math.max(t.differingRanges.length, t.differingKeyCount), 0) + (settledSchema(report)?.differences ?? 0),
    unsettled: report.tables.reduce((n, t) => n + t.unsettledRanges, 0) + (report.schema?.unsettled || report.schema?.error ? 1 : 0),
  };
}

/**
 * The CLI's exit code: 1 when anything differs (with --repair: still differs, or was not repaired), 3 when
 * nothing differs but some range never settled.
 */
export function exitCodeOf(report: VerifyReport): number {
  if (report.state === 'failed') return 2;
  if ((settledSchema(report)?.differences ?? 0) > 0) return 1; // a repair re-copies rows, never the schema
  // --repair: the verdict is the second look at what was repaired.
  if (report.repair) return !report.repair.clean ? 1 : report.unsettled > 0 ? 3 : 0;
  if (report.differences > 0) return 1;
  return report.unsettled > 0 ? 3 : 0;
}
