// The two retry windows, with the worker-level setting that shortens them (users never need it):
// an "other" failure (a destination table dropped by hand) fails the task after its window; a destination
// restart is a connection failure the task recovers from by itself; a destination that stays down fails the
// task after the connection window. A failed task drops its slot and publication on the source.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const QUEUE = 'pg-dts-windows';

describe('retry windows: connection failures and other issues', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  const status = (task: string) => temporal.workflow.getHandle(task).query(statusQuery);
  const failure = async (task: string): Promise<string> => {
    const err = await temporal.workflow.getHandle(task).result().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError, `${task} failed`);
    const cause = (err as WorkflowFailedError).cause as Error & { cause?: Error & { type?: string } };
    return `${cause?.message} ${cause?.cause?.message} type=${cause?.cause?.type}`;
  };
  const slotsOf = async (task: string): Promise<number> =>
    (await cs.src.query(`SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name LIKE $1`, [`dts_sync_${task.replace(/-/g, '_')}%`])).rows[0].n;
  const start = async (task: string, schema: string) => {
    await temporal.workflow.start('syncTask', {
      taskQueue: QUEUE, workflowId: task, args: [clusterSpec(cs.pg, task, { objects: [{ schema }], syncTypes: ['schema', 'full', 'incremental'] })],
    });
    await waitFor(`${task} streaming`, async () => (await status(task)).phase === 'incremental', 120_000, 200);
  };

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(`CREATE SCHEMA other_w; CREATE TABLE other_w.t (id int PRIMARY KEY); CREATE SCHEMA conn_w; CREATE TABLE conn_w.t (id int PRIMARY KEY)`);
    temporal = await temporalClient();
    startWorker({ ...WORKER_ENV, PG_DTS_OTHER_WINDOW_SECONDS: '5', PG_DTS_CONNECTION_WINDOW_SECONDS: '20' }, QUEUE);
    await start('window-other', 'other_w');
    await start('window-conn', 'conn_w');
  });
  after(() => cs?.close());

  it('an other issue that persists fails the task after retry.otherMinutes, with the cause, and drops its slot', async () => {
    await cs.dst.query('DROP TABLE other_w.t'); // someone dropped the destination table by hand
    await cs.src.query('INSERT INTO other_w.t VALUES (1)');
    await waitFor('retrying shows in status', async () => (await status('window-other')).retrying?.failureClass === 'other', 30_000, 200);
    const text = await failure('window-other');
    assert.match(text, /relation "other_w\.t" does not exist/);
    assert.match(text, /over retry\.otherMinutes/);
    assert.match(text, /type=RetryWindowExceeded/);
    assert.equal(await slotsOf('window-other'), 0, 'the failed task dropped its slot');
  });

  it('a destination restart is a connection failure the task recovers from by itself', async () => {
    await cs.src.query('INSERT INTO conn_w.t VALUES (1)');
    await waitForConvergence(cs.src, cs.dst, { 'conn_w.t': 'id' }, 30_000);
    cs.pg.destination.restart('immediate');
    await cs.src.query('INSERT INTO conn_w.t VALUES (2)');
    const dst = await cs.pg.destination.client();
    try {
      await waitForConvergence(cs.src, dst, { 'conn_w.t': 'id' }, 60_000);
    } finally {
      await dst.end();
    }
    assert.equal((await status('window-conn')).phase, 'incremental');
  });

  it('a destination that stays down fails the task after retry.connectionMinutes, and the source is cleaned up', async () => {
    cs.pg.destination.stop();
    await cs.src.query('INSERT INTO conn_w.t VALUES (3)');
    const started = Date.now();
    await waitFor('retrying (connection)', async () => (await status('window-conn')).retrying?.failureClass === 'connection', 30_000, 200);
    const text = await failure('window-conn');
    const seconds = (Date.now() - started) / 1000;
    assert.match(text, /over retry\.connectionMinutes/);
    assert.ok(seconds >= 15 && seconds < 120, `failed after ${seconds.toFixed(0)} s (window 20 s)`);
    assert.equal(await slotsOf('window-conn'), 0, 'slot dropped although the destination is down');
    assert.equal((await cs.src.query(`SELECT count(*)::int AS n FROM pg_publication WHERE pubname LIKE 'dts_pub_window_conn%'`)).rows[0].n, 0);
  });
});
