// What the activities call from their reporting callbacks. The stream's and the copy's numbers are
// cumulative per activity attempt; Prometheus counters must only go up, so each feeder keeps the last
// value it saw and adds the difference.
import { activeMetrics } from './registry';

export interface IncrementalSample {
  lagSeconds: number;
  rowsPerSecond: number;
  bytesPerSecond: number;
  retainedWalBytes: number | null;
  /** Cumulative over this attempt. */
  rows: number;
  bytes: number;
  ddl: { applied: number; refused: number };
}

/** One per incremental attempt: call it with every `stats` the reporting interval builds. */
export function incrementalMetrics(taskId: string): (s: IncrementalSample) => void {
  const labels = { task: taskId };
  const last = { rows: 0, bytes: 0, ddlApplied: 0, ddlRefused: 0 };
  const add = (counter: { inc(l: { task: string }, v: number): void }, key: keyof typeof last, now: number): void => {
    if (now > last[key]) counter.inc(labels, now - last[key]);
    last[key] = now;
  };
  return (s) => {
    const m = activeMetrics();
    if (!m) return;
    m.lagSeconds.set(labels, s.lagSeconds);
    m.applyRowsPerSecond.set(labels, s.rowsPerSecond);
    m.applyBytesPerSecond.set(labels, s.bytesPerSecond);
    if (s.retainedWalBytes !== null) m.retainedWalBytes.set(labels, s.retainedWalBytes);
    add(m.rowsApplied, 'rows', s.rows);
    add(m.bytesApplied, 'bytes', s.bytes);
    add(m.ddlApplied, 'ddlApplied', s.ddl.applied);
    add(m.ddlRefused, 'ddlRefused', s.ddl.refused);
  };
}

/**
 * One per full-sync attempt. `before` is what earlier attempts already copied (counted by them, maybe on
 * another worker); each call passes the per-table progress, whose rows and bytes include `before`.
 */
export function fullMetrics(taskId: string, before: { rows: number; bytes: number }): (tables: Iterable<{ rows: number; bytes: number }>) => void {
  const labels = { task: taskId };
  let last = { ...before };
  return (tables) => {
    const m = activeMetrics();
    if (!m) return;
    let rows = 0;
    let bytes = 0;
    for (const t of tables) {
      rows += t.rows;
      bytes += t.bytes;
    }
    if (rows > last.rows) m.rowsCopied.inc(labels, rows - last.rows);
    if (bytes > last.bytes) m.bytesCopied.inc(labels, bytes - last.bytes);
    last = { rows: Math.max(rows, last.rows), bytes: Math.max(bytes, last.bytes) };
  };
}
