// A verification survives its worker: SIGKILLed while comparing, the verifyTask workflow goes on on a new
// worker from the groups of ranges already compared (the retried group from its heartbeat), and its
// report covers every range exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { VerifyReport } from '../../src/verify/types';
import { VERIFY_WORKFLOW_TYPE, verifyStatusQuery } from '../../workflows/verify-messages';
import { waitFor } from '../harness/checksum';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { WORKER_ENV } from '../harness/sample-fixture';
import { clusterSpec, startTask } from '../harness/task-spec-file';
import { startWorker, temporalClient, type WorkerProcess } from '../harness/temporal';

const TASK = 'verify-resume';
const ROWS = 20_000;

describe('verification resumed after its worker is killed', () => {
  let fx: ClusterSessions;
  let temporal: Client;
  let worker: WorkerProcess;

  before(async () => {
    fx = await openClusterSessions();
    await fx.src.query(`CREATE SCHEMA vk; CREATE TABLE vk.t (id int PRIMARY KEY, v text);
      INSERT INTO vk.t SELECT g, md5(g::text) FROM generate_series(1, ${ROWS}) g; ANALYZE vk.t;`);
    worker = startWorker(WORKER_ENV);
    temporal = await temporalClient();
  });
  after(() => fx?.close());

  it('completes with every range compared once', async () => {
    // Full only, throttled: the copy and then the verification read 4 000 rows/s.
    startTask(clusterSpec(fx.pg, TASK, { syncTypes: ['schema', 'full'], objects: [{ schema: 'vk' }], throttle: { full: { rps: 4000 } } }));
    await temporal.workflow.getHandle(TASK).result();
    const id = `${TASK}-verify`;
    const handle = await temporal.workflow.start(VERIFY_WORKFLOW_TYPE, {
      taskQueue: 'pg-dts', workflowId: id, args: [{ task: TASK, mode: 'checksum', rangeRows: 500, concurrency: 1 }],
    });
    await waitFor('some ranges compared', async () => {
      const s = await handle.query(verifyStatusQuery);
      const done = s.tables[0]?.rangesDone ?? 0;
      return done >= 8 && done < (s.tables[0]?.ranges ?? 0) - 8;
    }, 120_000, 200);
    await worker.kill('SIGKILL');
    worker = startWorker(WORKER_ENV);
    const report = (await handle.result()) as VerifyReport;
    const t = report.tables[0]!;
    assert.equal(report.state, 'done');
    assert.equal(report.differences, 0, JSON.stringify(report));
    assert.equal(t.rangesDone, t.ranges, 'every range once');
    assert.ok(t.ranges >= 30, `${t.ranges} ranges`);
    assert.equal(t.sourceRows, ROWS);
    assert.equal(t.destinationRows, ROWS);
    const events = (await handle.fetchHistory()).events ?? [];
    const retried = events.some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
    assert.ok(retried, 'a group of ranges was retried on the new worker');
  });
});
