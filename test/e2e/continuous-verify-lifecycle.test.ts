// Continuous verification across a task's life: a verification running when the task continues as new is
// neither cancelled nor started again; the next run carries it (status.verification.running), picks up its
// result by workflow id and goes on counting from it. One running when the task fails for good is cancelled
// (its parent close policy is ABANDON: nothing else would stop it). The verifications are throttled (the
// task's full-sync throttle applies to them) so that they are still running when that happens.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type Client as TemporalClient } from '@temporalio/client';
import { statusQuery, throttleSignal } from '../../workflows/messages';
import type { TaskStatus } from '../../workflows/status';
import { waitFor } from '../harness/checksum';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { WORKER_ENV } from '../harness/sample-fixture';
import { startStreamingTask } from '../harness/streaming-task';
import { startWorker, temporalClient } from '../harness/temporal';

const TASK = 'continuous-verify-can';
const FAILING = 'continuous-verify-fails';
/** A worker whose "other issue" window is 5 s: a task stalled on one fails quickly. */
const FAIL_QUEUE = 'pg-dts-continuous-verify-fails';
// 3 000 rows read at 200 rows/s: a verification takes about 15 s.
const SLOW = { full: { rps: 200 } };

describe('continuous verification over a task\'s life', () => {
  let fx: ClusterSessions;
  let temporal: TemporalClient;
  const handle = () => temporal.workflow.getHandle(TASK);
  const status = (): Promise<TaskStatus> => handle().query(statusQuery);

  before(async () => {
    fx = await openClusterSessions();
    await fx.src.query(`
      CREATE SCHEMA cvc;
      CREATE TABLE cvc.items (id int PRIMARY KEY, body text NOT NULL);
      INSERT INTO cvc.items SELECT g, 'item ' || g FROM generate_series(1, 3000) g;`);
    startWorker(WORKER_ENV);
    startWorker({ ...WORKER_ENV, PG_DTS_OTHER_WINDOW_SECONDS: '5' }, FAIL_QUEUE);
    temporal = await temporalClient();
    await startStreamingTask(temporal, fx, TASK, 'pg-dts', {
      objects: [{ schema: 'cvc' }], syncTypes: ['schema', 'full', 'incremental'], verify: { every: '10s', mode: 'count' }, throttle: SLOW, continueAsNewEvents: 200,
    });
  });
  after(() => fx?.close());

  it('carries the running verification into the next run, which records its result', async () => {
    const running = await waitFor('a verification running', async () => (await status()).verification?.running ?? undefined, 30_000, 100);
    const firstRun = (await handle().describe()).runId;
    // Signals are history events: enough of them push the run past 200 events (the throttle stays as it is).
    for (let i = 0; i < 120 && (await handle().describe()).runId === firstRun; i += 20) {
      await Promise.all(Array.from({ length: 20 }, () => handle().signal(throttleSignal, SLOW)));
    }
    await waitFor('a new run', async () => (await handle().describe()).runId !== firstRun, 30_000, 200);
    const carried = (await status()).verification!;
    assert.ok((await status()).continuedRuns! >= 1);
    assert.deepEqual(carried.running, running, 'the same verification, carried');
    assert.equal(carried.runs, Number(running.workflowId.split('-').pop()), 'not started again');
    assert.equal((await temporal.workflow.getHandle(running.workflowId).describe()).status.name, 'RUNNING', 'not cancelled by continue-as-new');

    const done = await waitFor('its result recorded by the new run', async () => {
      const v = (await status()).verification!;
      return v.last?.workflowId === running.workflowId ? v : undefined;
    }, 45_000, 250);
    assert.equal(done.last!.state, 'clean', JSON.stringify(done.last));
    assert.equal(done.last!.startedAt, running.startedAt);
    assert.ok(Date.parse(done.nextAt ?? done.running!.startedAt) > Date.parse(running.startedAt));
    const history = await handle().fetchHistory();
    assert.ok(history.events!.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitVerification'), 'the new run awaited it by id');
    assert.ok(!history.events!.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId === running.workflowId), 'and did not start it again');
  });

  it('cancels the running verification when the task fails for good', async () => {
    await fx.src.query(`
      CREATE SCHEMA cvf;
      CREATE TABLE cvf.items (id int PRIMARY KEY, body text NOT NULL);
      INSERT INTO cvf.items SELECT g, 'item ' || g FROM generate_series(1, 3000) g;
      CREATE TABLE cvf.t (id int PRIMARY KEY);`);
    await startStreamingTask(temporal, fx, FAILING, FAIL_QUEUE, {
      objects: [{ schema: 'cvf' }], syncTypes: ['schema', 'full', 'incremental'], verify: { every: '10s', mode: 'count' }, throttle: SLOW,
    });
    const failing = () => temporal.workflow.getHandle(FAILING);
    const running = await waitFor('a verification running', async () => (await failing().query(statusQuery)).verification?.running ?? undefined, 30_000, 100);
    await fx.dst.query('DROP TABLE cvf.t'); // someone dropped a destination table by hand: the stream fails on it
    await fx.src.query('INSERT INTO cvf.t VALUES (1)');
    const err = await failing().result().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError, 'the task failed');
    const s = await failing().query(statusQuery);
    assert.equal(s.phase, 'failed');
    assert.equal(s.verification!.running, null);
    assert.deepEqual({ id: s.verification!.last!.workflowId, state: s.verification!.last!.state }, { id: running.workflowId, state: 'cancelled' });
    const ended = await waitFor('the verification ended', async () => {
      const d = await temporal.workflow.getHandle(running.workflowId).describe();
      return d.status.name === 'RUNNING' ? undefined : d.status.name;
    }, 30_000, 200);
    assert.equal(ended, 'CANCELLED');
  });
});
