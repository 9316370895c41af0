// A task that fails before incremental sync can be started again under the same id without the user
// dropping what it created (issue 15, item 7): createSchema records its tables in _pg_dts.created_objects,
// the restarted task's precheck does not count them as conflicts and schema sync creates them again. A
// table the user made on the destination is still a conflict.
//
// The failure: an expression index calls app.norm(text), which the destination has (so the precheck passes)
// but whose destination version refuses one of the copied values — the index build in finishSchema fails,
// after the whole copy, as a real missing or different dependency would.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { activityFailureOf } from '../harness/workflow-failure';
import { statusQuery } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const TASK = 'restart-own';
const NORM = (body: string) => `CREATE OR REPLACE FUNCTION app.norm(t text) RETURNS text IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN ${body} RETURN lower(t); END $$`;
const SOURCE = `
  CREATE SCHEMA app;
  ${NORM('')};
  CREATE TABLE app.items (id int PRIMARY KEY, name text NOT NULL);
  CREATE INDEX items_norm ON app.items (app.norm(name));
  CREATE TABLE app.notes (id int PRIMARY KEY, items_id int REFERENCES app.items, body text);
  INSERT INTO app.items SELECT g, CASE WHEN g = 7 THEN 'boom' ELSE 'Item ' || g END FROM generate_series(1, 100) g;
  INSERT INTO app.notes SELECT g, g, 'note ' || g FROM generate_series(1, 50) g;`;
const DESTINATION = `CREATE SCHEMA app; ${NORM(`IF t = 'boom' THEN RAISE EXCEPTION 'norm refuses %', t; END IF;`)}`;

describe('a task started again after failing before incremental sync', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  const start = () => temporal.workflow.start('syncTask', { taskQueue: 'pg-dts', workflowId: TASK, args: [clusterSpec(cs.pg, TASK, { objects: [{ schema: 'app' }] })] });
  const records = async () =>
    (await cs.dst.query(`SELECT kind, schema_name || '.' || name AS name FROM _pg_dts.created_objects WHERE workflow_id = $1 ORDER BY 1, 2`, [TASK])).rows;
  const oidOf = async (table: string): Promise<number> => Number((await cs.dst.query(`SELECT $1::regclass::oid AS oid`, [table])).rows[0].oid);

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(SOURCE);
    await cs.dst.query(DESTINATION);
    temporal = await temporalClient();
    startWorker(WORKER_ENV);
  });
  after(async () => {
    await cs?.close();
  });

  let itemsOid = 0;

  it('fails in finishSchema after the copy; the tables it created are recorded as its own', async () => {
    const failure = await activityFailureOf(await start());
    assert.equal(failure.type, 'SchemaStatementRejected');
    assert.match(failure.message, /norm refuses boom/);
    assert.deepEqual(await records(), [{ kind: 'table', name: 'app.items' }, { kind: 'table', name: 'app.notes' }]);
    assert.equal(Number((await cs.dst.query('SELECT count(*) AS n FROM app.items')).rows[0].n), 100, 'the copy was done');
    itemsOid = await oidOf('app.items');
  });

  it('started again, a table the user made is a conflict; the task\'s own are not', async () => {
    await cs.src.query('CREATE TABLE app.extra (id int PRIMARY KEY)');
    await cs.dst.query('CREATE TABLE app.extra (id int PRIMARY KEY)');
    const failure = await activityFailureOf(await start());
    assert.equal(failure.type, 'PrecheckFailed');
    assert.match(failure.message, /FAIL conflicting-tables: already on the destination: app\.extra; left by an earlier run of this task, dropped and created again by schema sync: app\.items, app\.notes\n/);
    assert.doesNotMatch(failure.message, /FAIL (?!conflicting-tables)/, 'nothing else fails');
  });

  it('with the cause fixed and the user\'s table gone, it completes without anyone dropping its tables', async () => {
    await cs.dst.query(NORM(''));
    await cs.dst.query('DROP TABLE app.extra');
    const handle = await start();
    const status = await waitFor('task streaming', async () => {
      const s = await handle.query(statusQuery);
      if (s.phase === 'failed') throw new Error(`task failed: ${s.lastError}`);
      return s.phase === 'incremental' && s;
    }, 180_000, 200);
    const conflicts = status.precheck!.results.find((r) => r.id === 'conflicting-tables')!;
    assert.equal(conflicts.passed, true);
    assert.match(conflicts.message, /dropped and created again by schema sync: app\.items, app\.notes/);
    assert.notEqual(await oidOf('app.items'), itemsOid, 'created again');
    const index = await cs.dst.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'app' AND indexname = 'items_norm'`);
    assert.match(index.rows[0]?.indexdef ?? '', /app\.norm\(name\)/);
    await cs.src.query(`INSERT INTO app.items VALUES (101, 'streamed'); INSERT INTO app.extra VALUES (1)`);
    await waitForConvergence(cs.src, cs.dst, { 'app.items': 'id', 'app.notes': 'id', 'app.extra': 'id' }, 60_000);
    // Complete tables are the user's data: no longer recorded as leftovers (the record table went with its last row).
    assert.equal((await cs.dst.query(`SELECT to_regclass('_pg_dts.created_objects') AS t`)).rows[0].t, null);
    await handle.signal('release');
    await handle.result();
  });
});
