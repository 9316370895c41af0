// `status.incremental` from the moment the stream attaches (issue 15, item 9): the first figures used to
// come one report interval (3 s) after the stream started, so `pg-dts status` showed phase incremental
// with no LSNs, lag or counters for the first seconds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import { statusQuery } from '../../workflows/messages';
import { releaseAll } from '../harness/cleanup';
import { startClusterPair, TEST_PASSWORD, type ClusterPair } from '../harness/clusters';
import { waitFor } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';

const ENV = { PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD };

describe('status.incremental', () => {
  let pg: ClusterPair;
  let src: PgClient;
  let temporal: Client;

  before(async () => {
    pg = await startClusterPair();
    src = await pg.source.client();
    await src.query('CREATE SCHEMA early; CREATE TABLE early.items (id int PRIMARY KEY, note text); INSERT INTO early.items SELECT g, g::text FROM generate_series(1, 100) g');
    temporal = await temporalClient();
    startWorker(ENV);
  });
  after(async () => {
    await src?.end();
    await releaseAll();
  });

  it('is reported as soon as the stream attaches, well before the first report interval', async () => {
    const id = 'first-report';
    await temporal.workflow.start('syncTask', {
      taskQueue: 'pg-dts', workflowId: id,
      args: [{
        name: id,
        source: { url: pg.source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_SRC' },
        destination: { url: pg.destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DST' },
        objects: [{ schema: 'early' }],
      }],
    });
    const status = () => temporal.workflow.getHandle(id).query(statusQuery);
    await waitFor('phase incremental', async () => (await status()).phase === 'incremental', 120_000, 20);
    const entered = Date.now();
    const first = await waitFor('status.incremental', async () => (await status()).incremental ?? false, 10_000, 20);
    const gapMs = Date.now() - entered;
    console.log(`# status.incremental ${gapMs} ms after the phase became incremental`);
    // Old code: never before the 3 s report interval had passed since the stream started.
    assert.ok(gapMs < 2_000, `status.incremental came ${gapMs} ms after the phase became incremental`);
    assert.equal(first.rows, 0);
    assert.equal(first.batches, 0);
    assert.equal(typeof first.lagSeconds, 'number');
  });
});
