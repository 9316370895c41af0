// The Temporal server (dev server with a database file) is stopped for a while during incremental sync and
// started again on the same file: the task is still there, the stream went on applying meanwhile (it needs
// Temporal only for heartbeats and reports), and the task answers and converges afterwards.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/util/ports';
import { statusQuery } from '../../workflows/messages';
import { onCleanup } from '../harness/cleanup';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const TASK = 'temporal-restart';

describe('Temporal server restart during incremental sync', () => {
  let cs: ClusterSessions;
  let server: DevServer;
  let port: number;
  const dbFile = join(mkdtempSync(join(tmpdir(), 'pg-dts-temporal-')), 'temporal.db');
  const client = async (): Promise<Client> => {
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    onCleanup(() => connection.close());
    return new Client({ connection });
  };

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(`CREATE SCHEMA tr; CREATE TABLE tr.t (id int PRIMARY KEY, v text)`);
    port = await freePort();
    server = await startDevServer({ port, dbFile, headless: true });
    onCleanup(() => server.stop());
    startWorker({ ...WORKER_ENV, TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
  });
  after(() => cs?.close());

  it('keeps the task across a server restart on its database file, and converges', async () => {
    const temporal = await client();
    await temporal.workflow.start('syncTask', { taskQueue: 'pg-dts', workflowId: TASK, args: [clusterSpec(cs.pg, TASK, { objects: [{ schema: 'tr' }] })] });
    await waitFor('incremental', async () => (await temporal.workflow.getHandle(TASK).query(statusQuery)).phase === 'incremental', 120_000, 200);
    await cs.src.query(`INSERT INTO tr.t SELECT g, 'before' FROM generate_series(1, 100) g`);
    await waitForConvergence(cs.src, cs.dst, { 'tr.t': 'id' }, 30_000);

    await server.stop();
    await cs.src.query(`INSERT INTO tr.t SELECT g, 'while down' FROM generate_series(101, 200) g; UPDATE tr.t SET v = 'changed' WHERE id <= 10`);
    await new Promise((r) => setTimeout(r, 5000));
    server = await startDevServer({ port, dbFile, headless: true });

    const again = await client();
    const handle = again.workflow.getHandle(TASK);
    assert.equal((await handle.describe()).status.name, 'RUNNING', 'the task survived the restart');
    await cs.src.query(`INSERT INTO tr.t SELECT g, 'after' FROM generate_series(201, 300) g`);
    await waitForConvergence(cs.src, cs.dst, { 'tr.t': 'id' }, 120_000);
    const status = await waitFor('status answers', async () => handle.query(statusQuery), 60_000, 500);
    assert.equal(status.phase, 'incremental');
    assert.equal(status.incremental?.missingRows ?? 0, 0);
  });
});
