// The task-life stream counters (issue 15, item 8): attempts add up, a retried or late report never
// counts twice, a refusal replayed by a retry counts once, and totals from an older run are the start.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DdlEntry } from '../../src/ddl/ddl-log';
import { countersOf, initialTotals, mergeAttempt, REFUSALS_KEPT, type AttemptReport, type StreamTotals } from '../../workflows/stream-totals';

const refusal = (lsn: string, statement = 'ALTER TABLE a.t ENABLE ROW LEVEL SECURITY', n = 0): DdlEntry =>
  ({ at: '2026-01-01T00:00:00.000Z', lsn, statement, outcome: 'unsupported', detail: 'd', n });
const report = (id: string, seq: number, rows: number, refusals: DdlEntry[] = [], extra: Partial<AttemptReport> = {}): AttemptReport => ({
  id, seq, counters: { rows, bytes: rows * 10, transactions: rows, ddlApplied: 0, ignoredMessages: 0 }, refusals, recent: refusals, ignoredColumns: [], ...extra,
});
const fold = (t: StreamTotals, ...reports: AttemptReport[]): StreamTotals => reports.reduce((acc, r) => mergeAttempt(acc, r).totals, t);

describe('stream totals', () => {
  it('adds attempts up; a later report of an attempt replaces its figures, an earlier or repeated one changes nothing', () => {
    let t = fold(initialTotals(), report('a', 1, 10), report('a', 2, 25));
    assert.equal(countersOf(t).rows, 25);
    t = fold(t, report('b', 1, 5), report('a', 1, 10), report('b', 1, 5));
    assert.equal(countersOf(t).rows, 30, 'a late report of attempt a and a repeat of b do not count again');
    t = fold(t, report('a', 3, 27));
    assert.equal(countersOf(t).rows, 32, 'attempt a\'s last figures (sent by the next attempt) replace its earlier ones');
  });

  it('keeps counting exactly when attempts are folded into the base', () => {
    let t = initialTotals();
    for (let i = 0; i < 30; i++) t = fold(t, report(`x${i}`, 1, 1), report(`x${i}`, 2, 2));
    assert.equal(countersOf(t).rows, 60);
    assert.ok(t.attempts.length <= 8);
  });

  it('counts a refusal once however many attempts refuse it again, and reports it new once', () => {
    const r = refusal('0/1A0');
    const first = mergeAttempt(initialTotals(), report('a', 1, 0, [r]));
    let totals = first.totals;
    assert.equal(first.newRefusals.length, 1);
    for (const id of ['b', 'c', 'd']) {
      const m = mergeAttempt(totals, report(id, 1, 0, [{ ...r, at: '2026-01-01T00:01:00.000Z' }]));
      totals = m.totals;
      assert.equal(m.newRefusals.length, 0, `attempt ${id} replays the same refusal`);
    }
    assert.equal(totals.refused, 1);
    assert.deepEqual(totals.refusedBy, { unsupported: 1 });
    // The same statement twice in one transaction is two refusals (n tells them apart).
    totals = fold(totals, report('e', 1, 0, [r, refusal('0/1A0', r.statement, 1)]));
    assert.equal(totals.refused, 2);
  });

  it('keeps the last refusals and every ignored column', () => {
    const many = Array.from({ length: REFUSALS_KEPT + 10 }, (_, i) => refusal(`0/${(i + 1).toString(16)}00`));
    const t = fold(initialTotals(), report('a', 1, 0, many), report('b', 1, 0, [], { ignoredColumns: ['a.t.x'] }), report('c', 1, 0, [], { ignoredColumns: ['a.t.x', 'a.t.y'] }));
    assert.equal(t.refused, REFUSALS_KEPT + 10);
    assert.equal(t.refusals.length, REFUSALS_KEPT);
    assert.equal(t.refusals.at(-1)!.lsn, many.at(-1)!.lsn);
    assert.deepEqual(t.ignoredColumns, ['a.t.x', 'a.t.y']);
  });

  it('starts from what an older run showed', () => {
    const t = initialTotals({ rows: 100, bytes: 1000, transactions: 7, ignoredColumns: ['s.t.c'], ddl: { applied: 2, refused: 1, refusedBy: { unsupported: 1 }, recent: [refusal('0/10')] } });
    const after = fold(t, report('a', 1, 5));
    assert.equal(countersOf(after).rows, 105);
    assert.equal(countersOf(after).ddlApplied, 2);
    assert.equal(after.refused, 1);
    assert.equal(after.refusals.length, 1);
    assert.deepEqual(after.ignoredColumns, ['s.t.c']);
  });
});
