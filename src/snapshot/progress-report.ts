// Turns the copy engine's live counters into what `status` shows: per-table and overall rows, bytes,
// estimates, rates and ETA. Pure, so the arithmetic is unit-tested.
import type { FullSyncStatus, TableProgressReport } from '../../workflows/status';
import type { TableProgress } from './full-sync';
import type { TablePlan } from './plan';

/** Rows/s from rows copied over a period; 0 until there is a measurable period. */
const rate = (rows: number, sinceMs: number | null, now: number): number => {
  const seconds = sinceMs === null ? 0 : (now - sinceMs) / 1000;
  return seconds >= 0.5 ? rows / seconds : 0;
};

const eta = (remaining: number, perSecond: number, done: boolean): number | null =>
  done ? 0 : perSecond > 0 ? Math.round(remaining / perSecond) : null;

export function tableReport(p: TableProgress, plan: TablePlan, now: number): TableProgressReport {
  const perSecond = rate(p.rowsThisAttempt, p.startedAt, now);
  // An estimate below what is already copied is stale statistics: the copied count is the better floor.
  const estimatedRows = Math.max(plan.estimatedRows, p.rows);
  return {
    table: p.table,
    rows: p.rows,
    bytes: p.bytes,
    done: p.done,
    estimatedRows,
    estimatedBytes: plan.estimatedBytes,
    chunks: p.chunks,
    chunksDone: p.chunksDone,
    rowsPerSecond: Math.round(perSecond),
    etaSeconds: eta(estimatedRows - p.rows, perSecond, p.done),
  };
}

export interface OverallInput {
  progress: Map<string, TableProgress>;
  plans: TablePlan[];
  /** When this attempt started copying, and what was already copied before it (resumed chunks). */
  attemptStartedAt: number;
  rowsBeforeAttempt: number;
  bytesBeforeAttempt: number;
  resumedAttempts: number;
  now: number;
}

export function overallReport(input: OverallInput): FullSyncStatus {
  const { progress, plans, now } = input;
  let rows = 0;
  let bytes = 0;
  let estimatedRows = 0;
  let chunks = 0;
  let chunksDone = 0;
  let tablesDone = 0;
  for (const plan of plans) {
    const p = progress.get(plan.key);
    if (!p) continue;
    rows += p.rows;
    bytes += p.bytes;
    estimatedRows += Math.max(plan.estimatedRows, p.rows);
    chunks += p.chunks;
    chunksDone += p.chunksDone;
    if (p.done) tablesDone++;
  }
  const rowsPerSecond = rate(rows - input.rowsBeforeAttempt, input.attemptStartedAt, now);
  const bytesPerSecond = rate(bytes - input.bytesBeforeAttempt, input.attemptStartedAt, now);
  const allDone = tablesDone === plans.length;
  return {
    tables: plans.length,
    tablesDone,
    chunks,
    chunksDone,
    rowsCopied: rows,
    bytesCopied: bytes,
    estimatedRows,
    rowsPerSecond: Math.round(rowsPerSecond),
    bytesPerSecond: Math.round(bytesPerSecond),
    etaSeconds: eta(estimatedRows - rows, rowsPerSecond, allDone),
    resumedAttempts: input.resumedAttempts,
    binaryTables: plans.filter((p) => p.binary).length,
    reportedAt: new Date(now).toISOString(),
  };
}
