// A table the source created while the task streams, in a schema the task selects whole, is adopted by the
// capture (published in its creating transaction) and synced from its first row. A later change of the
// task's selection (modifyObjects) re-targets the publication: it must keep such tables, or their rows
// stop arriving and the destination silently falls behind.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { modifyObjectsUpdate, statusQuery } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const TASK = 'modadopted';

describe('modifyObjects keeps the tables the stream adopted', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  const status = () => temporal.workflow.getHandle(TASK).query(statusQuery);

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(`
      CREATE SCHEMA app; CREATE TABLE app.orders (id int PRIMARY KEY, v int);
      CREATE SCHEMA crm; CREATE TABLE crm.people (id int PRIMARY KEY, name text);
      INSERT INTO app.orders SELECT g, g FROM generate_series(1, 50) g;
      INSERT INTO crm.people SELECT g, 'p' || g FROM generate_series(1, 50) g;`);
    temporal = await temporalClient();
    startWorker(WORKER_ENV);
    await temporal.workflow.start('syncTask', { taskQueue: 'pg-dts', workflowId: TASK, args: [clusterSpec(cs.pg, TASK, { objects: [{ schema: 'app' }] })] });
    await waitFor('task streaming', async () => (await status()).phase === 'incremental', 180_000, 200);
  });
  after(async () => {
    await cs?.close();
  });

  it('rows of a table created during the stream still arrive after a table of another schema is added', async () => {
    await cs.src.query(`CREATE TABLE app.invoices (id int PRIMARY KEY, total int)`);
    await cs.src.query(`INSERT INTO app.invoices SELECT g, g * 10 FROM generate_series(1, 20) g`);
    await waitForConvergence(cs.src, cs.dst, { 'app.invoices': 'id' }, 60_000);
    await temporal.workflow.getHandle(TASK).executeUpdate(modifyObjectsUpdate, { args: [{ objects: [{ schema: 'app' }, { schema: 'crm', tables: ['people'] }] }] });
    await waitFor('modification done', async () => {
      const m = (await status()).modification;
      if (m?.state === 'failed' || m?.state === 'refused') throw new Error(JSON.stringify(m));
      return m?.state === 'done';
    }, 180_000, 500);
    await cs.src.query(`INSERT INTO app.invoices SELECT g, g * 10 FROM generate_series(21, 40) g`);
    await cs.src.query(`UPDATE app.invoices SET total = -1 WHERE id = 1`);
    await cs.src.query(`INSERT INTO app.orders VALUES (1000, 1)`);
    await waitForConvergence(cs.src, cs.dst, { 'app.invoices': 'id', 'app.orders': 'id', 'crm.people': 'id' }, 60_000);
    const published = await cs.src.query(`SELECT tablename FROM pg_publication_tables WHERE pubname = 'dts_pub_${TASK}' AND schemaname <> '_pg_dts' ORDER BY 1`);
    assert.deepEqual(published.rows.map((r) => r.tablename), ['invoices', 'orders', 'people']);
  });
});
