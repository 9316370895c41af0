// A long-running task keeps its history short: past `continueAsNewEvents` it continues as new with its whole
// state (selection, throttle, pause, table rows, pending modifyObjects) and goes on streaming exactly where
// it was. Also: throttle and modifyObjects as updates, whose validators refuse bad values with a reason and
// record nothing. The spec's tags (PgDtsTags, set by the workflow: started without search attributes) stay on
// the continued run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { modifyObjectsUpdate, pauseSignal, resumeSignal, statusQuery, throttleSignal, throttleUpdate } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { TAGS_ATTRIBUTE } from '../../workflows/search-attributes';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const TASK = 'continue-as-new';

describe('continue-as-new and updates', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  const handle = () => temporal.workflow.getHandle(TASK);
  const status = () => handle().query(statusQuery);

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(`CREATE SCHEMA can; CREATE TABLE can.t (id int PRIMARY KEY, v text); INSERT INTO can.t VALUES (1, 'a');
                        CREATE TABLE can.later (id int PRIMARY KEY); INSERT INTO can.later VALUES (1)`);
    temporal = await temporalClient();
    startWorker(WORKER_ENV);
    await temporal.workflow.start('syncTask', {
      taskQueue: 'pg-dts', workflowId: TASK,
      args: [clusterSpec(cs.pg, TASK, { objects: [{ schema: 'can', tables: ['t'] }], continueAsNewEvents: 200, tags: { env: 'test' } })],
    });
    await waitFor('incremental', async () => (await status()).phase === 'incremental', 120_000, 200);
  });
  after(() => cs?.close());

  it('refuses a bad throttle or modifyObjects update with the reason and records nothing; accepts a good one', async () => {
    const refusal = (re: RegExp) => (err: Error & { cause?: Error }) => re.test(err.cause?.message ?? '');
    await assert.rejects(handle().executeUpdate(throttleUpdate, { args: [{ incremental: { rps: -1 } }] }), refusal(/^throttle refused: throttle\.incremental\.rps: must be a number greater than 0/));
    await assert.rejects(handle().executeUpdate(modifyObjectsUpdate, { args: [{ objects: [] }] }), refusal(/^modifyObjects refused: objects: select at least one schema/));
    const history = await handle().fetchHistory();
    assert.ok(!history.events?.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes), 'a refused update leaves no trace in the history');
    const inForce = await handle().executeUpdate(throttleUpdate, { args: [{ incremental: { rps: 50_000 } }] });
    assert.deepEqual(inForce, { incremental: { rps: 50_000 } });
    assert.deepEqual((await status()).throttle, { incremental: { rps: 50_000 } });
  });

  it('continues as new past the threshold with its state, and keeps streaming exactly', async () => {
    const firstRun = (await handle().describe()).runId;
    await handle().signal(pauseSignal);
    await waitFor('paused', async () => (await status()).phase === 'paused', 60_000, 200);
    await cs.src.query(`INSERT INTO can.t VALUES (2, 'while paused')`);
    // Signals are history events: enough of them push the run past 200 events.
    for (let i = 0; i < 80; i++) await handle().signal(throttleSignal, { incremental: { rps: 40_000 + i } });
    await handle().executeUpdate(modifyObjectsUpdate, { args: [{ objects: [{ schema: 'can', tables: ['t', 'later'] }] }] });
    const next = await waitFor('a new run', async () => {
      const d = await handle().describe();
      return d.runId !== firstRun ? d : undefined;
    }, 60_000, 250);
    assert.equal(next.status.name, 'RUNNING');
    assert.deepEqual(next.typedSearchAttributes.get(TAGS_ATTRIBUTE), ['env=test'], 'the tags the first run set are the new run\'s too');
    const s = await status();
    assert.ok((s.continuedRuns ?? 0) >= 1, 'status counts the continued runs');
    assert.equal(s.phase, 'paused', 'still paused after continuing');
    assert.deepEqual(s.throttle, { incremental: { rps: 40_079 } }, 'the last throttle is carried over');
    assert.ok(s.tables.some((t) => t.source === 'can.t' && t.state === 'copied'), 'table rows are carried over');
    assert.equal((await cs.dst.query('SELECT 1 FROM can.t WHERE id = 2')).rowCount, 0, 'nothing applied while paused');

    await handle().signal(resumeSignal);
    await cs.src.query(`INSERT INTO can.t VALUES (3, 'after'); UPDATE can.t SET v = 'changed' WHERE id = 1; INSERT INTO can.later VALUES (2)`);
    // The modifyObjects queued in the first run is carried and runs once the stream does.
    await waitFor('modification done', async () => (await status()).modification?.state === 'done', 120_000, 250);
    await waitForConvergence(cs.src, cs.dst, { 'can.t': 'id', 'can.later': 'id' }, 60_000);
    assert.equal((await status()).incremental?.missingRows ?? 0, 0);
    const history = await handle().fetchHistory();
    assert.ok((history.events?.length ?? 0) < 400, `the new run's history is short (${history.events?.length} events)`);
  });
});
