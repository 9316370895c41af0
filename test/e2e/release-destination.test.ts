// Release leaves nothing of pg-dts on the destination once no task uses it (issue 15, item 9): the last
// task's release drops the `_pg_dts` schema with its progress tables (full_sync, full_chunks,
// replica_identity) and the ownership registry; releasing one of two tasks that share a destination leaves
// the other's records, and the other keeps streaming.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import { releaseAll } from '../harness/cleanup';
import { startClusterPair, TEST_PASSWORD, type ClusterPair } from '../harness/clusters';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { clusterSpec, startTask } from '../harness/task-spec-file';
import { pgDts, startWorker, temporalClient } from '../harness/temporal';

const ENV = { PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD };

describe('release on the destination', () => {
  let pg: ClusterPair;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;

  before(async () => {
    pg = await startClusterPair();
    src = await pg.source.client();
    dst = await pg.destination.client();
    await src.query(`
      CREATE SCHEMA alpha; CREATE TABLE alpha.t (id int PRIMARY KEY, v text); INSERT INTO alpha.t SELECT g, g::text FROM generate_series(1, 50) g;
      CREATE SCHEMA beta; CREATE TABLE beta.t (id int PRIMARY KEY, v text); INSERT INTO beta.t SELECT g, g::text FROM generate_series(1, 50) g;
      CREATE SCHEMA gamma; CREATE TABLE gamma.t (id int PRIMARY KEY, v text); INSERT INTO gamma.t SELECT g, g::text FROM generate_series(1, 50) g;`);
    temporal = await temporalClient();
    startWorker(ENV);
  });
  after(async () => {
    await src?.end();
    await dst?.end();
    await releaseAll();
  });

  const status = (id: string) => temporal.workflow.getHandle(id).query(statusQuery);
  const run = async (name: string, schema: string): Promise<void> => {
    startTask(clusterSpec(pg, name, { objects: [{ schema }] }));
    await waitFor(`${name} streaming`, async () => (await status(name)).phase === 'incremental', 120_000, 100);
  };
  const release = async (name: string): Promise<void> => {
    const released = pgDts(['release', name]);
    assert.equal(released.status, 0, released.stderr);
    await temporal.workflow.getHandle(name).result();
    assert.equal((await status(name)).phase, 'released');
  };
  const schemaExists = async (db: PgClient): Promise<boolean> =>
    (await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = '_pg_dts'`)).rowCount === 1;
  /** Tasks with records in each pg-dts table of the destination, by name (task ids are `<name>__<hash>`). */
  const recorded = async (): Promise<Record<string, string[]>> => {
    const out: Record<string, string[]> = {};
    for (const [table, column] of [['full_sync', 'task_id'], ['full_chunks', 'task_id'], ['replica_identity', 'task_id'], ['owners', 'workflow_id']]) {
      const exists = (await dst.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`_pg_dts.${table}`])).rows[0].ok;
      out[table] = [...new Set(exists ? (await dst.query(`SELECT DISTINCT ${column} AS id FROM _pg_dts.${table} ORDER BY 1`)).rows.map((r) => r.id.replace(/__[0-9a-f]+$/, '').replaceAll('_', '-')) : [])];
    }
    return out;
  };

  it('the only task on a destination takes the _pg_dts schema with it', async () => {
    await run('rel-only', 'gamma');
    const before = await recorded();
    assert.deepEqual([before.full_sync, before.replica_identity, before.owners], [['rel-only'], ['rel-only'], ['rel-only']]);
    await release('rel-only');
    assert.equal(await schemaExists(dst), false, 'no _pg_dts schema left on the destination');
    assert.equal(await schemaExists(src), false, 'nor on the source');
  });

  it('releasing one of two tasks on a destination leaves the other its records, and it keeps streaming', async () => {
    await run('rel-a', 'alpha');
    await run('rel-b', 'beta');
    const both = await recorded();
    assert.deepEqual(both.full_sync, ['rel-a', 'rel-b']);
    assert.deepEqual(both.owners, ['rel-a', 'rel-b']);

    await release('rel-a');
    assert.deepEqual(await recorded(), { full_sync: ['rel-b'], full_chunks: ['rel-b'], replica_identity: ['rel-b'], owners: ['rel-b'] });
    await src.query(`INSERT INTO beta.t SELECT g, 'after' FROM generate_series(51, 80) g; UPDATE beta.t SET v = 'changed' WHERE id <= 10; DELETE FROM beta.t WHERE id BETWEEN 20 AND 25`);
    await waitForConvergence(src, dst, { 'beta.t': 'id' }, 60_000);
    assert.equal((await status('rel-b')).phase, 'incremental');

    await release('rel-b');
    assert.equal(await schemaExists(dst), false, 'the last release drops the _pg_dts schema');
  });
});
