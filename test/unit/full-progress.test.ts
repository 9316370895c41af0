import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fullSyncLimits, ROWS_PER_SOURCE_QUERY } from '../../activities/full';
import type { TableProgress } from '../../src/snapshot/full-sync';
import type { TablePlan } from '../../src/snapshot/plan';
import { overallReport, tableReport, type OverallInput } from '../../src/snapshot/progress-report';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function plan(key: string, over: Partial<TablePlan> = {}): TablePlan {
  const [schema, name] = key.split('.') as [string, string];
  return {
    key,
    table: { source: { schema, name }, target: { schema, name } },
    columns: ['id'],
    keyColumns: [{ name: 'id', type: 'bigint' }],
    binary: false,
    estimatedRows: 1000,
    estimatedBytes: 100_000,
    chunks: [{ lo: null, hi: null }],
    ...over,
  };
}

function progress(table: string, over: Partial<TableProgress> = {}): TableProgress {
  return { table, rows: 0, bytes: 0, chunks: 1, chunksDone: 0, done: false, rowsThisAttempt: 0, startedAt: null, ...over };
}

function overall(plans: TablePlan[], items: TableProgress[], over: Partial<OverallInput> = {}) {
  return overallReport({
    progress: new Map(items.map((p) => [p.table, p])),
    plans,
    attemptStartedAt: T0,
    rowsBeforeAttempt: 0,
    bytesBeforeAttempt: 0,
    resumedAttempts: 0,
    now: T0 + 10_000,
    ...over,
  });
}

describe('tableReport', () => {
  it('copies counters and plan estimates through', () => {
    const r = tableReport(progress('s.t', { rows: 100, bytes: 5000, chunks: 4, chunksDone: 1, rowsThisAttempt: 100, startedAt: T0 }), plan('s.t'), T0 + 10_000);
    assert.deepEqual(r, {
      table: 's.t', rows: 100, bytes: 5000, done: false, estimatedRows: 1000, estimatedBytes: 100_000,
      chunks: 4, chunksDone: 1, rowsPerSecond: 10, etaSeconds: 90,
    });
  });

  it('rates only rows copied by this attempt: resumed rows do not inflate it', () => {
    // 600 rows came from an earlier attempt; this one copied 100 in 10 s.
    const r = tableReport(progress('s.t', { rows: 700, rowsThisAttempt: 100, startedAt: T0 }), plan('s.t'), T0 + 10_000);
    assert.equal(r.rowsPerSecond, 10);
    assert.equal(r.etaSeconds, 30); // 300 rows left at 10/s
  });

  it('has no ETA before there is a rate', () => {
    assert.equal(tableReport(progress('s.t'), plan('s.t'), T0).etaSeconds, null, 'not started');
    const resumedOnly = tableReport(progress('s.t', { rows: 500, startedAt: T0 }), plan('s.t'), T0 + 10_000);
    assert.equal(resumedOnly.rowsPerSecond, 0);
    assert.equal(resumedOnly.etaSeconds, null, 'resumed rows only, nothing copied yet');
    const tooEarly = tableReport(progress('s.t', { rows: 50, rowsThisAttempt: 50, startedAt: T0 }), plan('s.t'), T0 + 100);
    assert.equal(tooEarly.rowsPerSecond, 0, 'period too short to measure');
    assert.equal(tooEarly.etaSeconds, null);
  });

  it('has ETA 0 when done, whatever the rate', () => {
    const r = tableReport(progress('s.t', { rows: 1000, chunksDone: 1, done: true, startedAt: null }), plan('s.t'), T0);
    assert.equal(r.etaSeconds, 0);
    const resumedDone = tableReport(progress('s.t', { rows: 1000, chunksDone: 1, done: true }), plan('s.t'), T0 + 10_000);
    assert.equal(resumedDone.rowsPerSecond, 0);
    assert.equal(resumedDone.etaSeconds, 0);
  });

  it('never estimates fewer rows than already copied', () => {
    const r = tableReport(progress('s.t', { rows: 5000, rowsThisAttempt: 5000, startedAt: T0 }), plan('s.t', { estimatedRows: 1000 }), T0 + 10_000);
    assert.equal(r.estimatedRows, 5000);
    assert.equal(r.etaSeconds, 0, 'not done, but nothing left by the estimate');
    const never = tableReport(progress('s.t', { rows: 3 }), plan('s.t', { estimatedRows: 0 }), T0);
    assert.equal(never.estimatedRows, 3);
  });
});

describe('overallReport', () => {
  const plans = [plan('s.a', { estimatedRows: 1000, binary: true }), plan('s.b', { estimatedRows: 3000 }), plan('s.c', { estimatedRows: 500, binary: true })];

  it('sums tables and counts done tables, chunks and binary tables', () => {
    const r = overall(plans, [
      progress('s.a', { rows: 1000, bytes: 10_000, chunks: 2, chunksDone: 2, done: true, rowsThisAttempt: 1000, startedAt: T0 }),
      progress('s.b', { rows: 1000, bytes: 20_000, chunks: 3, chunksDone: 1, rowsThisAttempt: 1000, startedAt: T0 }),
      progress('s.c', { chunks: 1 }),
    ]);
    assert.deepEqual(r, {
      tables: 3, tablesDone: 1, chunks: 6, chunksDone: 3, rowsCopied: 2000, bytesCopied: 30_000, estimatedRows: 4500,
      rowsPerSecond: 200, bytesPerSecond: 3000, etaSeconds: 13, // 2500 rows left at 200/s = 12.5
      resumedAttempts: 0, binaryTables: 2, reportedAt: new Date(T0 + 10_000).toISOString(),
    });
  });

  it('rates only what this attempt copied: resumed rows and bytes do not inflate it', () => {
    const r = overall(plans, [
      progress('s.a', { rows: 1000, bytes: 10_000, chunks: 2, chunksDone: 2, done: true }), // all resumed
      progress('s.b', { rows: 1500, bytes: 15_000, chunks: 3, chunksDone: 2, rowsThisAttempt: 500, startedAt: T0 }),
      progress('s.c'),
    ], { rowsBeforeAttempt: 2000, bytesBeforeAttempt: 20_000, resumedAttempts: 2 });
    assert.equal(r.rowsCopied, 2500);
    assert.equal(r.rowsPerSecond, 50); // 500 rows in 10 s, not 2500
    assert.equal(r.bytesPerSecond, 500);
    assert.equal(r.etaSeconds, 40); // 2000 rows left at 50/s
    assert.equal(r.resumedAttempts, 2);
  });

  it('has no ETA when this attempt copied nothing yet', () => {
    const r = overall(plans, [progress('s.a', { rows: 400, bytes: 4000 }), progress('s.b'), progress('s.c')], { rowsBeforeAttempt: 400, bytesBeforeAttempt: 4000 });
    assert.equal(r.rowsPerSecond, 0);
    assert.equal(r.bytesPerSecond, 0);
    assert.equal(r.etaSeconds, null);
    const early = overall(plans, [progress('s.a', { rows: 10 }), progress('s.b'), progress('s.c')], { now: T0 + 200 });
    assert.equal(early.rowsPerSecond, 0, 'period too short to measure');
    assert.equal(early.etaSeconds, null);
  });

  it('has ETA 0 when every table is done', () => {
    const all = plans.map((p) => progress(p.key, { rows: p.estimatedRows, chunksDone: 1, done: true }));
    const r = overall(plans, all, { rowsBeforeAttempt: 4500 });
    assert.equal(r.tablesDone, 3);
    assert.equal(r.etaSeconds, 0);
  });

  it('never estimates fewer rows than already copied, table by table', () => {
    const r = overall(plans, [
      progress('s.a', { rows: 5000, rowsThisAttempt: 5000, startedAt: T0 }), // estimate 1000 was stale
      progress('s.b', { rows: 100, rowsThisAttempt: 100, startedAt: T0 }),
      progress('s.c'),
    ]);
    assert.equal(r.estimatedRows, 5000 + 3000 + 500);
    assert.ok(r.estimatedRows >= r.rowsCopied);
  });
});

describe('fullSyncLimits', () => {
  it('has no limits without a full throttle', () => {
    assert.deepEqual(fullSyncLimits({}), { perSecond: undefined, bytesPerSecond: undefined });
    assert.deepEqual(fullSyncLimits({ full: {} }), { perSecond: undefined, bytesPerSecond: undefined });
    assert.deepEqual(fullSyncLimits({ incremental: { rps: 5 } }), { perSecond: undefined, bytesPerSecond: undefined });
  });

  it('limits rows by rps', () => {
    assert.deepEqual(fullSyncLimits({ full: { rps: 2500 } }), { perSecond: 2500, bytesPerSecond: undefined });
  });

  it('limits rows by sourceQps, 1000 rows per query', () => {
    assert.equal(ROWS_PER_SOURCE_QUERY, 1000);
    assert.deepEqual(fullSyncLimits({ full: { sourceQps: 3 } }), { perSecond: 3000, bytesPerSecond: undefined });
    assert.deepEqual(fullSyncLimits({ full: { sourceQps: 0.5 } }), { perSecond: 500, bytesPerSecond: undefined });
  });

  it('takes the lower row cap when both are set', () => {
    assert.equal(fullSyncLimits({ full: { rps: 2500, sourceQps: 2 } }).perSecond, 2000);
    assert.equal(fullSyncLimits({ full: { rps: 1500, sourceQps: 2 } }).perSecond, 1500);
  });

  it('limits bytes by mbps, 1e6 bytes per MB', () => {
    assert.deepEqual(fullSyncLimits({ full: { mbps: 12.5 } }), { perSecond: undefined, bytesPerSecond: 12_500_000 });
    assert.deepEqual(fullSyncLimits({ full: { rps: 100, mbps: 1 } }), { perSecond: 100, bytesPerSecond: 1_000_000 });
  });
});
