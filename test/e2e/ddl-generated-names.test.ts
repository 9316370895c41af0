// Constraints and indexes that replicated DDL creates without a name keep the source's generated names on
// a destination that calls the table and its columns differently (a renamed table, a renamed column,
// nameCase upper), so a later DROP CONSTRAINT / DROP INDEX by that name drops them there too
// (src/ddl/keep-names.ts). Real clusters, the real worker through Temporal; `pg-dts verify` reports the
// schema clean at the end.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import type { VerifyReport } from '../../src/verify/types';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { waitFor } from '../harness/checksum';
import { pgDts, startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const TASK = 'ddlgeneratednames';
const SOURCE = `
  CREATE SCHEMA app;
  CREATE TABLE app."Customer" (id int NOT NULL CONSTRAINT customer_id_key UNIQUE, note text);
  CREATE TABLE app.orders (id int PRIMARY KEY, qty int);
  CREATE TABLE app.events (id int NOT NULL, k int NOT NULL, PRIMARY KEY (id, k)) PARTITION BY LIST (k);
  CREATE INDEX ON app.events (id);
  CREATE TABLE app.events_1 PARTITION OF app.events FOR VALUES IN (1);
  INSERT INTO app."Customer" SELECT g, 'n' || g FROM generate_series(1, 20) g;
  INSERT INTO app.orders SELECT g, g FROM generate_series(1, 20) g;`;

/** Each statement in its own source transaction; PostgreSQL names what it creates. */
const CREATING = [
  `ALTER TABLE app."Customer" ADD COLUMN c int CHECK (c > 0)`,
  `ALTER TABLE app."Customer" ADD CHECK (note <> '')`,
  `ALTER TABLE app."Customer" ADD UNIQUE (note)`,
  `ALTER TABLE app."Customer" ADD PRIMARY KEY (id)`,
  `ALTER TABLE app."Customer" ADD FOREIGN KEY (c) REFERENCES app.orders (id)`,
  `CREATE INDEX ON app."Customer" (note)`,
  `CREATE INDEX ON app."Customer" (lower(note))`,
  `ALTER TABLE app."Customer" ADD COLUMN r int REFERENCES app.orders, ADD COLUMN u text UNIQUE`,
  `CREATE TABLE app.events_2 PARTITION OF app.events FOR VALUES IN (2)`,
];
/** Then dropped by the names the source generated. */
const DROPPING = [
  `ALTER TABLE app."Customer" DROP CONSTRAINT "Customer_note_check"`,
  `ALTER TABLE app."Customer" DROP CONSTRAINT "Customer_c_fkey"`,
  `DROP INDEX app."Customer_note_idx"`,
  `ALTER TABLE app."Customer" DROP CONSTRAINT "Customer_u_key"`,
];

/** Constraint and index names of a table, sorted. */
const NAMES_SQL = `
  SELECT 'constraint ' || conname AS name FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype <> 'n'
  UNION ALL SELECT 'index ' || c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass($1)
  ORDER BY 1`;

describe('replicated DDL keeps the source names of generated constraints and indexes', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  const status = () => temporal.workflow.getHandle(TASK).query(statusQuery);
  const ddlCounted = (n: number) => waitFor(`${n} DDL statements applied`, async () => {
    const ddl = (await status()).incremental?.ddl;
    const refused = ddl ? Object.values(ddl.refusedBy).reduce((a, b) => a + b, 0) : 0;
    assert.equal(refused, 0, JSON.stringify(ddl));
    return ddl && ddl.applied >= n && ddl;
  }, 60_000, 200);
  const names = async (source: string, destination: string) => [
    (await cs.src.query<{ name: string }>(NAMES_SQL, [source])).rows.map((r) => r.name),
    (await cs.dst.query<{ name: string }>(NAMES_SQL, [destination])).rows.map((r) => r.name),
  ];

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(SOURCE);
    temporal = await temporalClient();
    startWorker(WORKER_ENV);
    await temporal.workflow.start('syncTask', {
      taskQueue: 'pg-dts', workflowId: TASK,
      args: [clusterSpec(cs.pg, TASK, {
        nameCase: 'upper',
        objects: [{ schema: 'app', tables: [{ name: 'Customer', rename: 'CUSTOMER_t', columns: { note: 'NOTE_c' } }, 'orders', 'events'] }],
      })],
    });
    await waitFor('task streaming', async () => (await status()).phase === 'incremental', 120_000, 200);
  });
  after(async () => {
    await cs?.close();
  });

  it('creates them under the source names, drops them by those names, and verifies clean', async () => {
    for (const sql of CREATING) await cs.src.query(sql);
    await ddlCounted(CREATING.length);
    const [srcCustomer, dstCustomer] = await names('app."Customer"', '"APP"."CUSTOMER_t"');
    assert.ok(srcCustomer!.includes('constraint Customer_note_check') && srcCustomer!.includes('index Customer_lower_idx'), srcCustomer!.join(', '));
    assert.deepEqual(dstCustomer, srcCustomer);
    const [srcPartition, dstPartition] = await names('app.events_2', '"APP"."EVENTS_2"');
    assert.deepEqual(dstPartition, srcPartition);
    assert.deepEqual(srcPartition, ['constraint events_2_pkey', 'index events_2_id_idx', 'index events_2_pkey']);

    for (const sql of DROPPING) await cs.src.query(sql);
    await ddlCounted(CREATING.length + DROPPING.length);
    const [srcAfter, dstAfter] = await names('app."Customer"', '"APP"."CUSTOMER_t"');
    assert.ok(!srcAfter!.includes('constraint Customer_note_check'), srcAfter!.join(', '));
    assert.deepEqual(dstAfter, srcAfter);

    const run = pgDts(['verify', TASK, '--json', '--mode', 'count']);
    assert.ok(run.stdout.trim().startsWith('{'), `${run.stdout}\n${run.stderr}`);
    const report = JSON.parse(run.stdout) as VerifyReport;
    assert.equal(report.schema?.differences, 0, JSON.stringify(report.schema, null, 2));
    assert.equal(run.status, 0, run.stderr);
  });
});
