// DDL whose result depends on when and where it runs, and partitions attached or detached while the task
// streams (issue 15, items 3 and 4). Replayed as written, `ADD COLUMN … DEFAULT clock_timestamp()` (or
// gen_random_uuid(), an identity column) gives the destination's existing rows other values than the
// source's, and ATTACH PARTITION of a table the task never synced brings rows the destination does not have.
// The task copies the table again, consistently with the stream, while rows keep changing; everything ends
// equal to the source. A DETACHed partition in a whole-selected schema stays synced as a table of its own
// until it is dropped.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const TASK = 'recopy';
const SOURCE = `
  CREATE SCHEMA app;
  CREATE TABLE app.orders (id int PRIMARY KEY, amount int NOT NULL);
  INSERT INTO app.orders SELECT g, g FROM generate_series(1, 3000) g;
  CREATE TABLE app.order_lines (id int PRIMARY KEY, order_id int NOT NULL REFERENCES app.orders (id), qty int);
  INSERT INTO app.order_lines SELECT g, g, 1 FROM generate_series(1, 500) g;
  CREATE TABLE app.events (id int NOT NULL, at date NOT NULL, payload text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
  CREATE TABLE app.events_2026_11 PARTITION OF app.events FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
  CREATE TABLE app.events_2026_12 PARTITION OF app.events FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');
  INSERT INTO app.events SELECT g, DATE '2026-11-01' + (g % 61), 'e' || g FROM generate_series(1, 1200) g;
  CREATE SCHEMA staging;`;

const ORDERS = { 'app.orders': 'id', 'app.order_lines': 'id' };

describe('tables copied again after DDL the destination cannot replay exactly; ATTACH / DETACH PARTITION', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  let writing = true;
  let writer: Promise<void> = Promise.resolve();
  const status = () => temporal.workflow.getHandle(TASK).query(statusQuery);
  const recopiesDone = (tables: string[]) => waitFor(`${tables.join(', ')} copied again`, async () => {
    const s = await status();
    const failed = (s.recopies ?? []).find((r) => r.state === 'failed');
    if (failed) throw new Error(`recopy failed: ${JSON.stringify(failed)}`);
    return tables.every((t) => (s.recopies ?? []).some((r) => r.table === t && r.state === 'done')) && s;
  }, 180_000, 500);

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(SOURCE);
    temporal = await temporalClient();
    startWorker(WORKER_ENV);
    await temporal.workflow.start('syncTask', { taskQueue: 'pg-dts', workflowId: TASK, args: [clusterSpec(cs.pg, TASK, { objects: [{ schema: 'app' }] })] });
    await waitFor('task streaming', async () => (await status()).phase === 'incremental', 180_000, 200);
    // Rows keep changing during every copy below.
    const src = await cs.pg.source.client();
    writer = (async () => {
      for (let i = 0; writing; i++) {
        await src.query('UPDATE app.orders SET amount = amount + 1 WHERE id = $1', [1 + (i * 37) % 3000]);
        await src.query('INSERT INTO app.orders (id, amount) VALUES ($1, 0)', [10_000 + i]);
        await new Promise((r) => setTimeout(r, 15));
      }
      await src.end();
    })();
  });
  after(async () => {
    writing = false;
    await writer.catch(() => undefined);
    await cs?.close();
  });

  it('ADD COLUMN with a volatile DEFAULT: existing rows end with the source\'s values, under writes', async () => {
    await cs.src.query(`ALTER TABLE app.orders ADD COLUMN created timestamptz NOT NULL DEFAULT clock_timestamp()`);
    await cs.src.query(`ALTER TABLE app.orders ADD COLUMN token uuid DEFAULT gen_random_uuid()`);
    await cs.src.query(`ALTER TABLE app.order_lines ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY`);
    const s = await recopiesDone(['app.orders', 'app.order_lines']);
    assert.match(s.recopies!.find((r) => r.table === 'app.orders')!.reason, /clock_timestamp|gen_random_uuid/);
    assert.match(s.recopies!.find((r) => r.table === 'app.order_lines')!.reason, /identity/);
    writing = false;
    await writer;
    await waitForConvergence(cs.src, cs.dst, ORDERS, 90_000);
    const nulls = await cs.dst.query('SELECT count(*)::int AS n FROM app.orders WHERE token IS NULL');
    assert.equal(nulls.rows[0].n, 0, 'every row has its token');
    assert.equal((await status()).phase, 'incremental');
    // The answered requests are closed on the destination: a restarted stream does not copy again.
    const open = await cs.dst.query(`SELECT count(*)::int AS n FROM _pg_dts.recopy_requests WHERE task_id = $1`, [TASK]);
    assert.equal(open.rows[0].n, 0);
  });

  it('ATTACH PARTITION of a table the task never synced copies its rows; of a synced one, needs no copy', async () => {
    await cs.src.query(`CREATE TABLE staging.events_2027_01 (LIKE app.events INCLUDING ALL)`);
    await cs.src.query(`INSERT INTO staging.events_2027_01 SELECT g, DATE '2027-01-01' + (g % 31), 'staged ' || g FROM generate_series(1, 400) g`);
    await cs.src.query(`ALTER TABLE app.events ATTACH PARTITION staging.events_2027_01 FOR VALUES FROM ('2027-01-01') TO ('2027-02-01')`);
    await cs.src.query(`INSERT INTO app.events VALUES (5000, '2027-01-15', 'after attach')`);
    await recopiesDone(['app.events']);
    // Created in the whole-selected schema (synced from its first row), then attached: exact as replayed.
    await cs.src.query(`CREATE TABLE app.events_2027_02 (LIKE app.events INCLUDING ALL)`);
    await cs.src.query(`INSERT INTO app.events_2027_02 SELECT g, DATE '2027-02-01' + (g % 28), 'feb ' || g FROM generate_series(1, 300) g`);
    await waitForConvergence(cs.src, cs.dst, { 'app.events_2027_02': 'id, at' }, 60_000);
    await cs.src.query(`ALTER TABLE app.events ATTACH PARTITION app.events_2027_02 FOR VALUES FROM ('2027-02-01') TO ('2027-03-01')`);
    await cs.src.query(`UPDATE app.events SET payload = 'changed' WHERE at = '2027-02-03'`);
    await waitForConvergence(cs.src, cs.dst, { 'app.events': 'id, at' }, 90_000);
    const s = await status();
    assert.equal((s.recopies ?? []).filter((r) => r.table === 'app.events').length, 1, 'one copy of app.events');
    const parts = await cs.dst.query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'app.events'::regclass ORDER BY 1`);
    assert.deepEqual(parts.rows.map((r) => r.relname), ['events_2026_11', 'events_2026_12', 'events_2027_01', 'events_2027_02']);
  });

  it('DETACH PARTITION CONCURRENTLY, rows into the detached table, then DROP TABLE', async () => {
    await cs.src.query(`ALTER TABLE app.events DETACH PARTITION app.events_2026_11 CONCURRENTLY`);
    await cs.src.query(`INSERT INTO app.events_2026_11 VALUES (9000, '2026-11-30', 'into the detached table')`);
    await cs.src.query(`INSERT INTO app.events VALUES (9001, '2026-12-30', 'into the parent')`);
    await waitForConvergence(cs.src, cs.dst, { 'app.events': 'id, at', 'app.events_2026_11': 'id, at' }, 60_000);
    const attached = await cs.dst.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhrelid = 'app.events_2026_11'::regclass`);
    assert.equal(attached.rows[0].n, 0, 'detached on the destination too');
    await cs.src.query(`DROP TABLE app.events_2026_11`);
    await waitFor('the detached table dropped on the destination', async () =>
      (await cs.dst.query(`SELECT to_regclass('app.events_2026_11') IS NULL AS gone`)).rows[0].gone, 60_000);
    // Nothing refused but the staging table's CREATE, in a schema the task does not select.
    const ddl = await waitFor('the DROP in status', async () => {
      const d = (await status()).incremental?.ddl;
      return d?.recent.some((e) => /^DROP TABLE app\.events_2026_11/.test(e.statement)) && d;
    }, 30_000);
    const refused = ddl.recent.filter((e) => e.outcome !== 'applied' && !/^CREATE TABLE staging\.events_2027_01/.test(e.statement));
    assert.deepEqual(refused, []);
    assert.ok(ddl.recent.some((e) => /^DROP TABLE app\.events_2026_11/.test(e.statement) && e.outcome === 'applied'), JSON.stringify(ddl.recent));
  });
});
