// Two workers poll the task queue; the one running the stream is killed with SIGKILL. The other takes the
// stream over after the heartbeat timeout (15 s) and the task goes on, within ~30 s, nothing lost.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker, temporalClient, type WorkerProcess } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const TASK = 'worker-takeover';
const QUEUE = 'pg-dts-takeover';

describe('a second worker takes over a stream whose worker died', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  let workers: WorkerProcess[];

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(`CREATE SCHEMA wt; CREATE TABLE wt.t (id int PRIMARY KEY, v text)`);
    temporal = await temporalClient();
    workers = [startWorker(WORKER_ENV, QUEUE), startWorker(WORKER_ENV, QUEUE)];
  });
  after(() => cs?.close());

  it('takes over within ~30 s of a SIGKILL and converges', async () => {
    const handle = temporal.workflow.getHandle(TASK);
    await temporal.workflow.start('syncTask', { taskQueue: QUEUE, workflowId: TASK, args: [clusterSpec(cs.pg, TASK, { objects: [{ schema: 'wt' }] })] });
    await waitFor('incremental', async () => (await handle.query(statusQuery)).phase === 'incremental', 120_000, 200);
    // Which worker runs the stream: the pending activity names it (identity "<pid>@<host>").
    const identity = await waitFor('stream running', async () => {
      const pending = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'incrementalSync');
      return pending?.lastWorkerIdentity || undefined;
    }, 60_000, 200);
    const victim = workers.find((w) => identity.startsWith(`${w.process.pid}@`));
    assert.ok(victim, `the stream runs on one of the two workers (${identity})`);
    const survivor = workers.find((w) => w !== victim)!;

    await cs.src.query(`INSERT INTO wt.t SELECT g, 'before' FROM generate_series(1, 50) g`);
    await waitForConvergence(cs.src, cs.dst, { 'wt.t': 'id' }, 30_000);
    await victim.kill('SIGKILL');
    const killedAt = Date.now();
    await cs.src.query(`INSERT INTO wt.t SELECT g, 'after the kill' FROM generate_series(51, 100) g`);
    await waitForConvergence(cs.src, cs.dst, { 'wt.t': 'id' }, 60_000);
    const seconds = (Date.now() - killedAt) / 1000;
    console.log(`# takeover: rows written after the kill applied ${seconds.toFixed(1)} s after it`);
    assert.ok(seconds < 35, `took over in ${seconds.toFixed(1)} s`);
    const now = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'incrementalSync');
    assert.ok(now?.lastWorkerIdentity?.startsWith(`${survivor.process.pid}@`), `the survivor runs the stream now (${now?.lastWorkerIdentity})`);
  });
});
