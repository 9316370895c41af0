// A failed task's status says why (issue 15, item 8): phase failed, not RETRYING, and lastError is the root
// cause from the Temporal failure's cause chain — not "Activity task failed" — as `pg-dts status` prints it
// and the failure alert says.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { startStreamingTask } from '../harness/streaming-task';
import { startWebhookReceiver, type ReceivedAlert } from '../harness/webhook-receiver';
import { waitFor } from '../harness/checksum';
import { pgDts, startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

/** A worker whose "other issue" window is 5 s: a task stalled on one fails quickly. */
const FAIL_QUEUE = 'pg-dts-failed-status';

describe('a failed task\'s status', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  let webhook: { url: string; alerts: ReceivedAlert[] };
  const status = (task: string) => temporal.workflow.getHandle(task).query(statusQuery);

  before(async () => {
    cs = await openClusterSessions();
    webhook = await startWebhookReceiver();
    temporal = await temporalClient();
    startWorker({ ...WORKER_ENV, PG_DTS_WEBHOOK_ALLOW: '127.0.0.1', PG_DTS_OTHER_WINDOW_SECONDS: '5' }, FAIL_QUEUE);
  });
  after(() => cs?.close());

  it('a failed task\'s status says why (the root cause, not "Activity task failed") and is not RETRYING; pg-dts status prints it', async () => {
    const task = 'events-fail';
    await cs.src.query('CREATE SCHEMA fail_e; CREATE TABLE fail_e.t (id int PRIMARY KEY)');
    await startStreamingTask(temporal, cs, task, FAIL_QUEUE, { objects: [{ schema: 'fail_e' }], alerts: { webhook: { url: webhook.url } } });
    await cs.dst.query('DROP TABLE fail_e.t'); // someone dropped the destination table by hand
    await cs.src.query('INSERT INTO fail_e.t VALUES (1)');
    await waitFor('retrying shows in status', async () => (await status(task)).retrying?.failureClass === 'other', 30_000, 200);
    const err = await temporal.workflow.getHandle(task).result().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError, 'the task failed');

    const s = await status(task);
    assert.equal(s.phase, 'failed');
    assert.ok(!s.retrying, `not retrying any more: ${JSON.stringify(s.retrying)}`);
    assert.match(s.lastError ?? '', /^incrementalSync: relation "fail_e\.t" does not exist/);
    assert.match(s.lastError ?? '', /over retry\.otherMinutes/);
    assert.match(s.lastError ?? '', /RetryWindowExceeded/);
    assert.doesNotMatch(s.lastError ?? '', /Activity task failed/);

    const printed = pgDts(['status', task]);
    assert.equal(printed.status, 0, printed.stderr);
    assert.match(printed.stdout, /phase: failed/);
    assert.match(printed.stdout, /FAILED: incrementalSync: relation "fail_e\.t" does not exist/);
    assert.doesNotMatch(printed.stdout, /RETRYING/);
    // The failure alert carries the same cause.
    const alert = await waitFor('failure alert', async () => webhook.alerts.find((a) => a.name === task && a.kind === 'failure'), 30_000, 200);
    assert.match(alert.message, /relation "fail_e\.t" does not exist/);
  });
});
