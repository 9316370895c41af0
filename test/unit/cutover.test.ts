// The cutover's request, when it may start, and what the CLI prints (src/cutover/types.ts, src/cli/cutover-text.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CUTOVER_DEFAULTS, cutoverBlocker, parseCutoverRequest, restoreStatements, type CutoverStatus } from '../../src/cutover/types';
import { cutoverLine, cutoverReport } from '../../src/cli/cutover-text';

const done: CutoverStatus = {
  state: 'done', requestedAt: '2026-12-07T16:00:00.000Z', finishedAt: '2026-12-07T16:00:09.000Z', options: { ...CUTOVER_DEFAULTS, freezeSource: true },
  lagSeconds: 0.4, targetLsn: '0/3000100', confirmedLsn: '0/3000200',
  frozen: [{ table: 'shop.orders', grantee: 'app', privilege: 'INSERT', grantable: false }, { table: 'shop.orders', grantee: 'PUBLIC', privilege: 'DELETE', grantable: true }],
  sequences: { sequences: 3, moved: [{ sequence: 'shop.orders_id_seq', from: '1', to: '1501' }], problems: [], margin: 1000, at: '2026-12-07T16:00:08.000Z' },
  check: { method: 'row-counts', ok: true, tables: [{ table: 'shop.orders', target: 'shop.orders', source: 500, destination: 500 }] },
  refusal: null,
};

describe('cutover', () => {
  it('fills in the defaults and names every bad field', () => {
    assert.deepEqual(parseCutoverRequest({}), { ok: true, request: CUTOVER_DEFAULTS });
    assert.deepEqual(parseCutoverRequest(undefined), { ok: true, request: CUTOVER_DEFAULTS });
    const r = parseCutoverRequest({ freezeSource: true, sequenceMargin: 0, maxLagSeconds: 2.5 });
    assert.deepEqual(r, { ok: true, request: { ...CUTOVER_DEFAULTS, freezeSource: true, sequenceMargin: 0, maxLagSeconds: 2.5 } });
    const bad = parseCutoverRequest({ freezeSource: 'yes', sequenceMargin: 1.5, maxLagSeconds: -1, waitSeconds: 0, extra: 1 });
    assert.equal(bad.ok, false);
    const problems = (bad as { problems: string[] }).problems.join('\n');
    for (const field of ['freezeSource', 'sequenceMargin', 'maxLagSeconds', 'waitSeconds', 'extra']) assert.match(problems, new RegExp(`^${field}:`, 'm'));
  });

  it('starts only on a streaming task with nothing else going on', () => {
    const streaming = { phase: 'incremental', paused: false, cutover: null, modifying: false, incremental: true };
    assert.equal(cutoverBlocker(streaming), null);
    assert.match(cutoverBlocker({ ...streaming, incremental: false })!, /no incremental sync/);
    assert.match(cutoverBlocker({ ...streaming, phase: 'full' })!, /phase full/);
    assert.match(cutoverBlocker({ ...streaming, phase: 'paused', paused: true })!, /paused: resume/);
    assert.match(cutoverBlocker({ ...streaming, modifying: true })!, /modifyObjects/);
    assert.match(cutoverBlocker({ ...streaming, cutover: { ...done, state: 'waiting' } })!, /in progress/);
    // A refused cutover may be tried again.
    assert.equal(cutoverBlocker({ ...streaming, cutover: { ...done, state: 'refused' } }), null);
  });

  it('prints the GRANTs that undo a freeze', () => {
    assert.deepEqual(restoreStatements(done.frozen!), ['GRANT INSERT ON shop.orders TO app;', 'GRANT DELETE ON shop.orders TO PUBLIC WITH GRANT OPTION;']);
  });

  it('tells the operator what happened and what the application must do next', () => {
    const text = cutoverReport('shop', done, 'db2:5432/app');
    assert.match(text, /cutover of shop done at 2026-12-07T16:00:09.000Z; the task is released/);
    assert.match(text, /applied the source up to 0\/3000100/);
    assert.match(text, /3 destination sequences set 1000 values past the source's \(1 moved\)/);
    assert.match(text, /row counts equal on 1 table; a full checksum comparison was not run/);
    assert.match(text, /Point the application at the destination \(db2:5432\/app\)/);
    assert.match(text, /GRANT INSERT ON shop\.orders TO app;/);
    const unfrozen = cutoverReport('shop', { ...done, frozen: null }, 'db2:5432/app');
    assert.match(unfrozen, /writes still reaching the source are not carried over/);
  });

  it('the status line', () => {
    assert.match(cutoverLine(done), /^cutover: done, requested .*, lag 0\.4 s, applied up to 0\/3000100 .*source frozen \(2 grants revoked\), 1\/3 sequences moved \(margin 1000\), row counts equal on 1 tables$/);
    assert.match(cutoverLine({ ...done, state: 'refused', refusal: 'the lag is 12.0 s' }), /\n {2}refused: the lag is 12\.0 s$/);
  });
});
