// Object selection, mapping and operation selection through a real task: schema and table renames
// (explicit and by bulk rule), nameCase, excluded and renamed columns, excluded tables of a whole schema,
// and per-schema / per-table `dml` with the table's choice winning — in full sync and in incremental.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { releaseSignal, statusQuery } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { waitFor } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const TASK = 'object-selection';
const SOURCE_SCHEMA = `
  CREATE SCHEMA "Sel";
  CREATE TABLE "Sel"."Users" ("Id" int PRIMARY KEY, "Email" text NOT NULL UNIQUE, ssn text, "Name" text CHECK ("Name" <> ''));
  CREATE INDEX users_name_idx ON "Sel"."Users" (lower("Name"));
  CREATE TABLE "Sel".audit (id int PRIMARY KEY, event text);
  CREATE TABLE "Sel".events (id int PRIMARY KEY, v int);
  CREATE SCHEMA whole;
  CREATE TABLE whole.kept (id int PRIMARY KEY, v text);
  CREATE TABLE whole.skipme (id int PRIMARY KEY);
  INSERT INTO "Sel"."Users" VALUES (1, 'a@x', '111-11', 'Ann'), (2, 'b@x', '222-22', 'Bob');
  INSERT INTO "Sel".audit VALUES (1, 'created'), (2, 'created');
  INSERT INTO "Sel".events VALUES (1, 10), (2, 20);
  INSERT INTO whole.kept VALUES (1, 'one');`;

describe('object selection, mapping and operation selection', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  const rows = async (sql: string) => (await cs.dst.query(sql)).rows;

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(SOURCE_SCHEMA);
    temporal = await temporalClient();
    startWorker(WORKER_ENV);
    await temporal.workflow.start('syncTask', {
      taskQueue: 'pg-dts', workflowId: TASK,
      args: [clusterSpec(cs.pg, TASK, {
        objects: [
          {
            schema: 'Sel', rename: 'sel_dst', dml: ['insert', 'update'],
            tables: [
              { name: 'Users', excludeColumns: ['ssn'], columns: { Email: 'email_address' }, dml: ['insert', 'update', 'delete'] },
              { name: 'audit', rename: 'audit_trail', dml: ['insert'] },
              'events',
            ],
          },
          { schema: 'whole', excludeTables: ['skipme'] },
        ],
        renameRules: { tables: { suffix: '_copy' } },
      })],
    });
    await waitFor('incremental', async () => (await temporal.workflow.getHandle(TASK).query(statusQuery)).phase === 'incremental', 120_000, 200);
  });
  after(() => cs?.close());

  it('creates the mapped names and columns, without excluded columns and tables', async () => {
    const tables = await rows(`SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
                                WHERE table_schema IN ('sel_dst', 'whole', 'Sel', 'sel') ORDER BY 1`);
    assert.deepEqual(tables.map((r) => r.t), ['sel_dst.audit_trail', 'sel_dst.events_copy', 'sel_dst.users_copy', 'whole.kept_copy']);
    const columns = await rows(`SELECT column_name AS c FROM information_schema.columns
                                 WHERE table_schema = 'sel_dst' AND table_name = 'users_copy' ORDER BY ordinal_position`);
    assert.deepEqual(columns.map((r) => r.c), ['Id', 'email_address', 'Name']);
    // Constraints and indexes follow the renamed columns.
    const defs = await rows(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = 'sel_dst.users_copy'::regclass ORDER BY 1`);
    assert.deepEqual(defs.map((r) => r.d), [`CHECK (("Name" <> ''::text))`, 'PRIMARY KEY ("Id")', 'UNIQUE (email_address)']);
    const full = await rows(`SELECT "Id", email_address, "Name" FROM sel_dst.users_copy ORDER BY 1`);
    assert.deepEqual(full, [{ Id: 1, email_address: 'a@x', Name: 'Ann' }, { Id: 2, email_address: 'b@x', Name: 'Bob' }]);
    assert.deepEqual(await rows('SELECT id, v FROM whole.kept_copy'), [{ id: 1, v: 'one' }]);
  });

  it('applies only the selected operations, the table\'s choice over its schema\'s, under the mapped names', async () => {
    await cs.src.query(`
      INSERT INTO "Sel"."Users" VALUES (3, 'c@x', '333-33', 'Cy');
      UPDATE "Sel"."Users" SET "Email" = 'a2@x', ssn = 'changed' WHERE "Id" = 1;
      DELETE FROM "Sel"."Users" WHERE "Id" = 2;
      INSERT INTO "Sel".audit VALUES (3, 'created');
      UPDATE "Sel".audit SET event = 'edited' WHERE id = 1;
      DELETE FROM "Sel".audit WHERE id = 2;
      INSERT INTO "Sel".events VALUES (3, 30);
      UPDATE "Sel".events SET v = 11 WHERE id = 1;
      DELETE FROM "Sel".events WHERE id = 2;
      INSERT INTO whole.skipme VALUES (1);
      INSERT INTO whole.kept VALUES (2, 'two');`);
    await waitFor('changes applied', async () => (await rows('SELECT 1 FROM whole.kept_copy WHERE id = 2')).length === 1, 60_000, 200);
    // Users: insert, update and delete (its own dml), mapped columns.
    assert.deepEqual(await rows(`SELECT "Id", email_address, "Name" FROM sel_dst.users_copy ORDER BY 1`), [
      { Id: 1, email_address: 'a2@x', Name: 'Ann' }, { Id: 3, email_address: 'c@x', Name: 'Cy' },
    ]);
    // audit: inserts only.
    assert.deepEqual(await rows('SELECT id, event FROM sel_dst.audit_trail ORDER BY 1'), [
      { id: 1, event: 'created' }, { id: 2, event: 'created' }, { id: 3, event: 'created' },
    ]);
    // events: the schema's insert + update, no delete.
    assert.deepEqual(await rows('SELECT id, v FROM sel_dst.events_copy ORDER BY 1'), [{ id: 1, v: 11 }, { id: 2, v: 20 }, { id: 3, v: 30 }]);
    // TRUNCATE is not among the schema's operations either.
    await cs.src.query(`TRUNCATE "Sel".events; INSERT INTO whole.kept VALUES (3, 'three')`);
    await waitFor('later change applied', async () => (await rows('SELECT 1 FROM whole.kept_copy WHERE id = 3')).length === 1, 60_000, 200);
    assert.equal((await rows('SELECT count(*)::int AS n FROM sel_dst.events_copy'))[0]!.n, 3);
  });

  it('runs on a failover slot with REPLICA IDENTITY FULL, and release puts the replica identity back', async () => {
    const identity = async () =>
      (await cs.src.query(`SELECT c.relname AS t, c.relreplident::text AS r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname IN ('Sel', 'whole') AND c.relkind = 'r' ORDER BY 1`)).rows.map((r) => `${r.t}:${r.r}`);
    assert.deepEqual(await identity(), ['Users:f', 'audit:f', 'events:f', 'kept:f', 'skipme:d'], 'FULL on the selected tables only');
    const slot = await cs.src.query(`SELECT failover FROM pg_replication_slots WHERE slot_name LIKE 'dts_sync_%'`);
    assert.deepEqual(slot.rows, [{ failover: true }], 'PostgreSQL 17: the slot survives a failover to a synced standby');
    const handle = temporal.workflow.getHandle(TASK);
    await handle.signal(releaseSignal);
    assert.equal((await handle.result()).phase, 'released');
    assert.deepEqual(await identity(), ['Users:d', 'audit:d', 'events:d', 'kept:d', 'skipme:d'], 'what the tables had before');
  });
});
