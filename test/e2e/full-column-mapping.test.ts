// Column mapping in the full sync: the copy reads only the source columns the spec does not exclude and
// writes them under their destination names (explicit renames, then renameRules), through the staged
// ignore-mode path of a real task; and, engine-level, a partitioned root table is copied through a query
// (it holds no rows of its own) straight into a table with renamed columns.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Client as PgClient, ClientConfig } from 'pg';
import { statusQuery } from '../../workflows/messages';
import { copyChunks } from '../../src/snapshot/full-sync';
import { planTables, readColumns } from '../../src/snapshot/plan';
import { ensureProgressStore } from '../../src/snapshot/progress-store';
import { RateLimiter } from '../../src/util/rate-limiter';
import { openClusterSessions, type ClusterPair, type ClusterSessions } from '../harness/clusters';
import { WORKER_ENV } from '../harness/sample-fixture';
import { clusterSpec, startTask } from '../harness/task-spec-file';
import { startWorker, temporalClient } from '../harness/temporal';

const PEOPLE_FILTER = "age >= 18 AND secret IS DISTINCT FROM 's7'"; // reads a column that is not copied

describe('full sync column mapping', () => {
  let fx: ClusterSessions;
  let pg: ClusterPair;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;

  before(async () => {
    fx = await openClusterSessions();
    ({ pg, src, dst } = fx);
    await src.query(`
      CREATE SCHEMA cm;
      CREATE TABLE cm.people (id int PRIMARY KEY, "FullName" text NOT NULL, email text, secret text, age int NOT NULL);
      INSERT INTO cm.people SELECT g, 'Person ' || g, 'p' || g || '@x', 's' || g, g % 90 FROM generate_series(1, 500) g;
      CREATE TABLE cm.notes (id bigint PRIMARY KEY, body text NOT NULL, kind text);
      INSERT INTO cm.notes SELECT g, 'body ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'k' END FROM generate_series(1, 300) g;
      ANALYZE cm.people, cm.notes;
      CREATE TABLE cm.readings (id int NOT NULL, at date NOT NULL, v numeric NOT NULL, "Note" text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
      CREATE TABLE cm.readings_2024 PARTITION OF cm.readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE cm.readings_2025 PARTITION OF cm.readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      INSERT INTO cm.readings SELECT g, date '2024-01-01' + g % 700, g / 7.0, CASE WHEN g % 2 = 0 THEN 'n' || g END FROM generate_series(1, 3000) g;`);
    // The destination tables are the user's (conflictingTables: ignore), already under the mapped names.
    // `secret` exists here too, but is excluded: the copy must leave it at its default.
    await dst.query(`
      CREATE SCHEMA cm;
      CREATE TABLE cm.persons (c_id int PRIMARY KEY, full_name text NOT NULL, c_email text, c_age int NOT NULL, secret text DEFAULT 'never copied');
      CREATE TABLE cm.notes (c_id bigint PRIMARY KEY, c_body varchar(100) NOT NULL, c_kind text);
      INSERT INTO cm.notes VALUES (1, 'kept: destination row', 'dst');
      CREATE TABLE cm.readings_copy (id int NOT NULL, at date NOT NULL, v numeric NOT NULL, note text, PRIMARY KEY (id, at));`);
    startWorker(WORKER_ENV);
    temporal = await temporalClient();
  });
  after(() => fx?.close());

  it('copies the non-excluded columns under their destination names (renames, renameRules, filter)', async () => {
    const task = 'full-column-mapping';
    startTask(clusterSpec(pg, task, {
      syncTypes: ['full'],
      conflictingTables: 'ignore',
      renameRules: { columns: { prefix: 'c_' } }, // every column without an explicit rename
      objects: [{
        schema: 'cm',
        tables: [
          { name: 'people', rename: 'persons', columns: { FullName: 'full_name' }, excludeColumns: ['secret'], where: PEOPLE_FILTER },
          'notes',
        ],
      }],
      full: { chunkRows: 100 }, // people is split: mapping and filter apply to every chunk
    }));
    const handle = temporal.workflow.getHandle(task);
    await handle.result();

    const expected = await src.query({ text: `SELECT id, "FullName", email, age FROM cm.people WHERE ${PEOPLE_FILTER} ORDER BY id`, rowMode: 'array' });
    const copied = await dst.query({ text: 'SELECT c_id, full_name, c_email, c_age FROM cm.persons ORDER BY c_id', rowMode: 'array' });
    assert.ok(expected.rows.length > 350 && expected.rows.length < 500, `${expected.rows.length} matching people`);
    assert.deepEqual(copied.rows, expected.rows, 'renamed columns carry the source values; only matching rows');
    const secrets = await dst.query(`SELECT DISTINCT secret FROM cm.persons`);
    assert.deepEqual(secrets.rows, [{ secret: 'never copied' }], 'the excluded column was not copied');

    const notesSrc = await src.query({ text: 'SELECT id, body, kind FROM cm.notes WHERE id > 1 ORDER BY id', rowMode: 'array' });
    const notesDst = await dst.query({ text: 'SELECT c_id, c_body, c_kind FROM cm.notes WHERE c_id > 1 ORDER BY c_id', rowMode: 'array' });
    assert.deepEqual(notesDst.rows, notesSrc.rows);
    assert.deepEqual((await dst.query('SELECT c_body FROM cm.notes WHERE c_id = 1')).rows, [{ c_body: 'kept: destination row' }], 'ignore mode keeps colliding rows');

    // Binary COPY is judged under the mapped names: persons has the same types (binary), notes has
    // varchar where the source has text (text COPY). Comparing by source names would find no column.
    const s = await handle.query(statusQuery);
    assert.equal(s.full?.binaryTables, 1, JSON.stringify(s.full));
    const people = s.tables.find((t) => t.source === 'cm.people');
    assert.ok((people?.chunks ?? 0) >= 3, `people split into ${people?.chunks} chunks`);
  });

  it('copies a partitioned root table through a query, with renamed columns (engine level)', async () => {
    const config = (port: number): ClientConfig => ({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    const table = { source: { schema: 'cm', name: 'readings' }, target: { schema: 'cm', name: 'readings_copy' } };
    const mapping = { nameCase: 'default' as const, objects: [{ schema: 'cm', tables: [{ name: 'readings', rename: 'readings_copy', columns: { Note: 'note' } }] }] };
    const holder = await pg.source.client();
    await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const snapshotName = (await holder.query('SELECT pg_export_snapshot() AS s')).rows[0].s as string;
    try {
      const targets = await readColumns(dst, ['cm.readings_copy']);
      const plans = await planTables(holder, [table], {
        chunkRows: 1000, chunkBytes: 1 << 30, destinationColumns: new Map([['cm.readings', targets.get('cm.readings_copy')!]]), sameMajorVersion: true, mapping,
      });
      const plan = plans[0]!;
      assert.equal(plan.plainTable, false, 'a partitioned root is never read with COPY t TO');
      assert.ok(plan.estimatedRows > 2000 && plan.estimatedBytes > 0, `estimates from the partitions: ${plan.estimatedRows} rows, ${plan.estimatedBytes} bytes`);
      assert.ok(plan.chunks.length >= 2, `split into ${plan.chunks.length} key ranges`);
      assert.deepEqual(plan.targetColumns, ['id', 'at', 'v', 'note']);
      assert.equal(plan.binary, true);
      await ensureProgressStore(dst);
      await copyChunks({
        taskId: 'cm-partitioned', attempt: 1, plans, done: [], source: config(pg.source.port), destination: config(pg.destination.port),
        snapshotName, concurrency: 2, keepExisting: false, limiter: new RateLimiter({}), onProgress: () => undefined,
      });
    } finally {
      await holder.query('COMMIT');
      await holder.end();
    }
    const q = (db: PgClient, sql: string) => db.query({ text: sql, rowMode: 'array' }).then((r) => r.rows);
    const copied = await q(dst, 'SELECT id, at::text, v::text, note FROM cm.readings_copy ORDER BY id, at');
    assert.equal(copied.length, 3000);
    assert.deepEqual(copied, await q(src, 'SELECT id, at::text, v::text, "Note" FROM cm.readings ORDER BY id, at'));
  });
});
