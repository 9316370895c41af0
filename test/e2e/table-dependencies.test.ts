// What the selected tables' definitions need on the destination is checked or created before anything is
// copied (issue 15, item 7): a gin_trgm_ops index used to pass the precheck and fail finishSchema after the
// whole copy. An extension the destination has available is created by schema sync before the tables; a
// user collation or function it lacks fails the precheck, with no table created.
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
import type { PrecheckReport } from '../../src/precheck/types';

const SOURCE = `
  CREATE EXTENSION pg_trgm;
  CREATE SCHEMA docs;
  CREATE TABLE docs.pages (id int PRIMARY KEY, title text NOT NULL);
  CREATE INDEX pages_title_trgm ON docs.pages USING gin (title gin_trgm_ops);
  INSERT INTO docs.pages SELECT g, 'page ' || g FROM generate_series(1, 200) g;
  CREATE COLLATION public.plain (locale = 'C');
  CREATE SCHEMA crm;
  CREATE FUNCTION crm.next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c' || floor(random() * 1000)::text $$;
  CREATE TABLE crm.people (id int PRIMARY KEY, name text COLLATE public.plain, code text DEFAULT crm.next_code());
  INSERT INTO crm.people (id, name) VALUES (1, 'a');
  CREATE EXTENSION citext;
  CREATE SCHEMA tags;
  CREATE TABLE tags.labels (id int PRIMARY KEY, name public.citext);`;

describe('table dependencies: extensions and user objects the tables need', () => {
  let cs: ClusterSessions;
  let temporal: Client;

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(SOURCE);
    temporal = await temporalClient();
    startWorker(WORKER_ENV);
  });
  after(async () => {
    await cs?.close();
  });

  it('creates pg_trgm on the destination before the tables; the task streams with the gin_trgm_ops index', async () => {
    assert.equal((await cs.dst.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'`)).rowCount, 0);
    const task = 'tabledeps-trgm';
    const handle = await temporal.workflow.start('syncTask', { taskQueue: 'pg-dts', workflowId: task, args: [clusterSpec(cs.pg, task, { objects: [{ schema: 'docs' }] })] });
    const status = await waitFor('task streaming', async () => {
      const s = await handle.query(statusQuery);
      return s.phase === 'incremental' && s;
    }, 180_000, 200);
    const item = status.precheck!.results.find((r) => r.id === 'table-dependencies')!;
    assert.equal(item.passed, true);
    assert.equal(item.message, 'schema sync will create extension pg_trgm on the destination before the tables');
    const index = await cs.dst.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'docs' AND indexname = 'pages_title_trgm'`);
    assert.match(index.rows[0]?.indexdef ?? '', /USING gin \(title (public\.)?gin_trgm_ops\)/);
    await cs.src.query(`INSERT INTO docs.pages VALUES (201, 'streamed')`);
    await waitForConvergence(cs.src, cs.dst, { 'docs.pages': 'id' }, 60_000);
    await handle.signal('release');
    await handle.result();
  });

  it('a collation and a function missing on the destination fail the precheck, and no table is created', async () => {
    const task = 'tabledeps-missing';
    const handle = await temporal.workflow.start('syncTask', { taskQueue: 'pg-dts', workflowId: task, args: [clusterSpec(cs.pg, task, { objects: [{ schema: 'crm' }] })] });
    const failure = await activityFailureOf(handle);
    assert.equal(failure.type, 'PrecheckFailed');
    const report = failure.details?.[0] as PrecheckReport;
    assert.deepEqual(report.results.filter((r) => !r.passed).map((r) => r.id), ['table-dependencies']);
    assert.match(failure.message, /FAIL table-dependencies: objects missing on the destination \(schema sync does not create them\): collation public\.plain \(used by crm\.people\), function crm\.next_code\(\) \(used by crm\.people\)/);
    assert.deepEqual((await cs.dst.query(`SELECT nspname FROM pg_namespace WHERE nspname = 'crm'`)).rows, [], 'nothing created');
  });

  it('an extension the destination has in another schema fails the precheck: the definitions name its objects in the source\'s', async () => {
    await cs.dst.query('CREATE SCHEMA ext; CREATE EXTENSION citext SCHEMA ext');
    const task = 'tabledeps-misplaced';
    const handle = await temporal.workflow.start('syncTask', { taskQueue: 'pg-dts', workflowId: task, args: [clusterSpec(cs.pg, task, { objects: [{ schema: 'tags' }] })] });
    const failure = await activityFailureOf(handle);
    assert.equal(failure.type, 'PrecheckFailed');
    assert.match(failure.message, /FAIL table-dependencies: installed on the destination, but not where the definitions name them .*type public\.citext \(used by tags\.labels\) of extension citext/);
    assert.match(failure.message, /ALTER EXTENSION \.\.\. SET SCHEMA public/);
    assert.deepEqual((await cs.dst.query(`SELECT nspname FROM pg_namespace WHERE nspname = 'tags'`)).rows, [], 'nothing created');
  });
});
