// conflictingTables = "ignore": a destination table that already exists is kept and written into. During
// the full sync a destination row whose key the source also has is kept; later incremental changes to
// that key overwrite it; destination-only rows are left alone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import { openSampleFixture, type SampleFixture } from '../harness/sample-fixture';
import { waitFor } from '../harness/checksum';
import { temporalClient } from '../harness/temporal';

const TASK = 'ignore-mode';

describe('conflicting tables in ignore mode', () => {
  let fx: SampleFixture;
  let temporal: Client;
  const row = async (id: number) =>
    (await fx.dst.query('SELECT name, email FROM shop.customers WHERE id = $1', [id])).rows[0] as { name: string; email: string } | undefined;

  before(async () => {
    fx = await openSampleFixture(200); // 50 customers on the source, ids 1..50
    temporal = await temporalClient();
    // The destination already has the shop schema, with rows of its own: ids 1-3 collide with the source.
    const ddl = `
      CREATE TYPE shop.mood AS ENUM ('happy', 'sad', 'neutral');
      CREATE TABLE shop.customers (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE,
        mood shop.mood DEFAULT 'neutral', tags text[], created_at timestamptz NOT NULL DEFAULT now());`;
    await fx.dst.query(`CREATE SCHEMA shop; ${ddl}
      INSERT INTO shop.customers (id, name, email) VALUES
        (1, 'kept one', 'kept1@dst'), (2, 'kept two', 'kept2@dst'), (3, 'kept three', 'kept3@dst'),
        (9001, 'destination only', 'only@dst')`);
  });
  after(() => fx?.close());

  it('keeps colliding destination rows during the full sync and lets incremental changes overwrite them', async () => {
    await temporal.workflow.start('syncTask', {
      taskQueue: 'pg-dts', workflowId: TASK,
      args: [fx.spec(TASK, { conflictingTables: 'ignore', objects: [{ schema: 'shop', tables: ['customers'] }] })],
    });
    await waitFor('incremental', async () => (await temporal.workflow.getHandle(TASK).query(statusQuery)).phase === 'incremental', 120_000, 200);

    assert.deepEqual(await row(1), { name: 'kept one', email: 'kept1@dst' }, 'a colliding row is kept by the full sync');
    assert.deepEqual(await row(9001), { name: 'destination only', email: 'only@dst' });
    const src4 = (await fx.src.query('SELECT name, email FROM shop.customers WHERE id = 4')).rows[0];
    assert.deepEqual(await row(4), src4, 'non-colliding source rows are copied');
    const count = async (db: typeof fx.src) => Number((await db.query('SELECT count(*) AS n FROM shop.customers')).rows[0].n);
    assert.equal(await count(fx.dst), (await count(fx.src)) + 1, 'source rows plus the destination-only row');

    // Incremental: an update of a colliding key overwrites the destination's row; so does a new source
    // row whose key exists only on the destination.
    await fx.src.query(`UPDATE shop.customers SET name = 'from source' WHERE id = 2`);
    await fx.src.query(`INSERT INTO shop.customers (id, name, email) VALUES (9001, 'source wins', 'src9001@src')`);
    await waitFor('incremental overwrites', async () => (await row(9001))?.name === 'source wins', 30_000, 200);
    const src2 = (await fx.src.query('SELECT name, email FROM shop.customers WHERE id = 2')).rows[0];
    assert.deepEqual(await row(2), src2);
    assert.deepEqual(await row(1), { name: 'kept one', email: 'kept1@dst' }, 'untouched colliding rows stay as they were');
  });
});
