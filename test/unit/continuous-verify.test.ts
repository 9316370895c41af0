// The pure rules of continuous verification (src/verify/continuous.ts): when the next run is due, what a
// run's report means (a difference found while the selection changed is not alerted), and that the alert
// fires on a difference and is resolved by the first clean run after it, once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  alertFor, continuousVerifyId, endedOutcome, initialVerification, nextRunAt, outcomeOf, recordOutcome, type RunningVerification,
} from '../../src/verify/continuous';
import type { TableReport, VerifyReport } from '../../src/verify/types';
import { verificationLines } from '../../src/cli/verification-text';
import { verifyDifferenceEvent } from '../../src/alerts/verify-difference';

const table = (name: string, differing: number, unsettled = 0): TableReport => ({
  table: name, target: name, keyColumns: ['id'], ranges: 4, rangesDone: 4, rowsCompared: 100, sourceRows: 100, destinationRows: 100,
  differingRanges: Array.from({ length: differing }, () => ({ lo: null, hi: null, sourceRows: 1, destinationRows: 1 })),
  unsettledRanges: unsettled, recheckedRanges: 0, differingKeys: [], differingKeyCount: 0, durationMs: 5,
});

const report = (tables: TableReport[]): VerifyReport => {
  const differing = tables.filter((t) => t.differingRanges.length);
  return {
    task: 't', mode: 'checksum', state: 'done', taskPhase: 'incremental', streaming: true, startedAt: '', finishedAt: '', tables,
    differingTables: differing.length, differences: differing.reduce((n, t) => n + t.differingRanges.length, 0),
    unsettled: tables.reduce((n, t) => n + t.unsettledRanges, 0), error: null,
  };
};

const run: RunningVerification = { workflowId: 'task-verify-3', startedAt: '2026-01-01T00:00:00.000Z' };
const END = '2026-01-01T00:01:00.000Z';
const HOUR = 3_600_000;

describe('continuous verification', () => {
  it('names the n-th run after the task', () => {
    assert.equal(continuousVerifyId('orders', 7), 'orders-verify-7');
  });

  it('schedules the next run every interval from the last start, or an interval after a run that took longer', () => {
    assert.equal(nextRunAt(run.startedAt, END, HOUR).toISOString(), '2026-01-01T01:00:00.000Z');
    assert.equal(nextRunAt(run.startedAt, '2026-01-01T02:00:00.000Z', HOUR).toISOString(), '2026-01-01T03:00:00.000Z');
  });

  it('judges a report: clean, differences (with the tables), unsettled, inconclusive while the selection changed', () => {
    assert.equal(outcomeOf(run, report([table('a.x', 0)]), END, false).state, 'clean');
    const found = outcomeOf(run, report([table('a.x', 2), table('a.y', 0), table('a.z', 1)]), END, false);
    assert.deepEqual({ state: found.state, tables: found.tables, differingTables: found.differingTables, differences: found.differences },
      { state: 'differences', tables: ['a.x', 'a.z'], differingTables: 2, differences: 3 });
    assert.equal(outcomeOf(run, report([table('a.x', 0, 2)]), END, false).state, 'unsettled');
    assert.equal(outcomeOf(run, report([table('a.x', 1)]), END, true).state, 'inconclusive');
    assert.equal(outcomeOf(run, report([table('a.x', 0)]), END, true).state, 'clean', 'equal is equal whatever changed meanwhile');
  });

  it('lists at most 10 differing tables', () => {
    const many = outcomeOf(run, report(Array.from({ length: 12 }, (_, i) => table(`s.t${i}`, 1))), END, false);
    assert.equal(many.tables.length, 10);
    assert.equal(many.differingTables, 12);
  });

  it('fires once on a difference, resolves once at the next clean run, and stays quiet otherwise', () => {
    let v = initialVerification('1h', 'checksum', new Date(run.startedAt));
    const differs = outcomeOf(run, report([table('a.x', 1)]), END, false);
    const clean = outcomeOf(run, report([table('a.x', 0)]), END, false);
    assert.equal(alertFor(v, clean), null);
    assert.equal(alertFor(v, differs), 'firing');
    v = recordOutcome(v, differs, HOUR);
    assert.equal(v.alerting, true);
    assert.deepEqual(v.lastDifference, differs);
    assert.equal(alertFor(v, endedOutcome(run, 'failed', 'boom', END)), null, 'a failed run proves nothing');
    assert.equal(alertFor(v, outcomeOf(run, report([table('a.x', 0, 1)]), END, false)), null, 'an unsettled run proves nothing');
    assert.equal(alertFor(v, differs), null, 'a difference still there is not alerted again');
    assert.equal(alertFor(v, clean), 'resolved');
    v = recordOutcome(v, clean, HOUR);
    assert.equal(v.alerting, false);
    assert.deepEqual(v.last, clean);
    assert.deepEqual(v.lastDifference, differs, 'the last difference stays in status');
    assert.equal(v.running, null);
    assert.equal(v.nextAt, '2026-01-01T01:00:00.000Z');
    assert.equal(alertFor(v, clean), null);
  });
});

describe('pg-dts status: continuous verification', () => {
  it('shows the schedule, the last run and a difference a clean run followed', () => {
    let v = initialVerification('6h', 'checksum', new Date(run.startedAt));
    const early = new Date('2025-12-31T23:00:00.000Z');
    assert.deepEqual(verificationLines(v, early), ['  verify every 6h (checksum): no run finished yet; next at 2026-01-01T00:00:00.000Z']);
    assert.deepEqual(verificationLines(v, new Date(END)),
      ['  verify every 6h (checksum): no run finished yet; due since 2026-01-01T00:00:00.000Z, waiting while the task is paused or its selection changes']);
    v = { ...v, runs: 3, running: run, nextAt: null };
    assert.match(verificationLines(v)[0]!, /running task-verify-3 since 2026-01-01T00:00:00.000Z$/);
    const differs = outcomeOf(run, report([table('a.x', 2)]), END, false);
    v = recordOutcome(v, differs, HOUR);
    assert.deepEqual(verificationLines(v, early), [
      '  verify every 6h (checksum): last task-verify-3 DIFFERENCES in 1 table (a.x; 2 differing range(s)) at 2026-01-01T00:01:00.000Z; next at 2026-01-01T01:00:00.000Z',
    ]);
    const later = { workflowId: 'task-verify-4', startedAt: '2026-01-01T01:00:00.000Z' };
    v = recordOutcome(v, outcomeOf(later, report([table('a.x', 0)]), '2026-01-01T01:00:30.000Z', false), HOUR);
    const lines = verificationLines(v);
    assert.match(lines[0]!, /last task-verify-4 clean at /);
    assert.match(lines[1]!, /last difference: task-verify-3 DIFFERENCES in 1 table \(a\.x/);
    v = recordOutcome(v, endedOutcome(later, 'failed', 'planVerification: connection refused\nstack', END), HOUR);
    assert.match(verificationLines(v)[0]!, /last task-verify-4 FAILED: planVerification: connection refused at /);
  });
});

describe('the verify-difference alert', () => {
  it('names the verification and the tables, counts them, and says nothing of rows', () => {
    const differs = outcomeOf(run, report([table('a.x', 2), table('a.y', 1)]), END, false);
    const e = verifyDifferenceEvent('task_1', { name: 'task' }, differs, 'firing', new Date(END));
    assert.deepEqual({ kind: e.kind, state: e.state, value: e.value, threshold: e.threshold, verification: e.verification, at: e.at },
      { kind: 'verify-difference', state: 'firing', value: 2, threshold: null, verification: 'task-verify-3', at: END });
    assert.equal(e.message, 'task task: verification task-verify-3 found 2 tables differing from the source (a.x, a.y; 3 differing range(s)); ' +
      'see pg-dts status, or temporal workflow show --workflow-id task-verify-3');
    const resolved = verifyDifferenceEvent('task_1', { name: 'task' }, outcomeOf(run, report([table('a.x', 0)]), END, false), 'resolved');
    assert.equal(resolved.value, 0);
    assert.equal(resolved.message, 'task task: verification task-verify-3 found no difference');
  });
});
