// Incremental sync under the operator's hands: the throttle (from the spec and changed by a signal while
// streaming), the heartbeat that keeps the slot moving and measures lag, the status fields, and the
// single-change size limit that fails a task instead of skipping the change.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import { statusQuery, throttleSignal } from '../../workflows/messages';
import { releaseAll } from '../harness/cleanup';
import { startClusterPair, TEST_PASSWORD, type ClusterPair } from '../harness/clusters';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';

const ENV = { PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD };
const SCHEMA = `
  CREATE SCHEMA paced; CREATE TABLE paced.events (id bigint PRIMARY KEY, note text);
  CREATE SCHEMA limited; CREATE TABLE limited.blobs (id int PRIMARY KEY, body text);
  CREATE SCHEMA other; CREATE TABLE other.noise (id serial PRIMARY KEY, at timestamptz DEFAULT now());`;

describe('incremental controls: throttle, heartbeat and lag, change size limit', () => {
  let pg: ClusterPair;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;

  const spec = (name: string, schema: string, extra: Record<string, unknown> = {}) => ({
    name,
    source: { url: pg.source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_SRC' },
    destination: { url: pg.destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DST' },
    objects: [{ schema }],
    syncTypes: ['schema', 'incremental'],
    ...extra,
  });
  const status = (id: string) => temporal.workflow.getHandle(id).query(statusQuery);
  const start = async (id: string, body: unknown, taskQueue = 'pg-dts') => {
    await temporal.workflow.start('syncTask', { taskQueue, workflowId: id, args: [body] });
    await waitFor(`${id} streaming`, async () => (await status(id)).phase === 'incremental', 120_000, 100);
    // Without a full sync the slot is created when the stream starts: changes before that are not the task's.
    const slot = (await status(id)).slot;
    await waitFor(`${id} slot active`, async () =>
      (await src.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot])).rowCount === 1, 60_000, 100);
  };
  const count = async (): Promise<number> => Number((await dst.query('SELECT count(*) AS n FROM paced.events')).rows[0].n);
  /** Rows applied per second over `ms`, measured on the destination. */
  const measureRate = async (ms: number): Promise<number> => {
    const [n0, t0] = [await count(), Date.now()];
    await new Promise((r) => setTimeout(r, ms));
    return ((await count()) - n0) / ((Date.now() - t0) / 1000);
  };

  before(async () => {
    pg = await startClusterPair();
    src = await pg.source.client();
    dst = await pg.destination.client();
    await src.query(SCHEMA);
    temporal = await temporalClient();
    startWorker(ENV);
  });
  after(async () => {
    await src?.end();
    await dst?.end();
    await releaseAll();
  });

  it('applies at the spec rate, and at a new rate within 2 s of a throttle signal, without restarting the stream', async () => {
    await start('paced', spec('paced', 'paced', { throttle: { incremental: { rps: 200 } } }));
    const attemptsBefore = (await status('paced')).phaseChanges.length;
    // 600 transactions of 10 rows: a transaction becomes visible on the destination at its commit.
    await src.query(`DO $$ BEGIN FOR t IN 0..599 LOOP
      INSERT INTO paced.events SELECT g, 'e' || g FROM generate_series(t * 10 + 1, t * 10 + 10) g; COMMIT; END LOOP; END $$`);
    await waitFor('apply started', async () => (await count()) > 0, 30_000, 50);
    await new Promise((r) => setTimeout(r, 500)); // past the first, bursty second
    const before = await measureRate(3000);
    await temporal.workflow.getHandle('paced').signal(throttleSignal, { incremental: { rps: 600 } });
    await new Promise((r) => setTimeout(r, 2000));
    const afterSignal = await measureRate(3000);
    console.log(`# rate at 200 rows/s limit: ${before.toFixed(0)}; after signal to 600: ${afterSignal.toFixed(0)}`);
    assert.ok(Math.abs(before - 200) <= 40, `rate ${before.toFixed(0)} rows/s is not within 20 % of 200`);
    assert.ok(Math.abs(afterSignal - 600) <= 120, `rate ${afterSignal.toFixed(0)} rows/s is not within 20 % of 600`);
    const s = await status('paced');
    assert.equal(s.phaseChanges.length, attemptsBefore, 'the stream was not restarted (no phase change)');
    assert.deepEqual(s.throttle, { incremental: { rps: 600 } });
    await temporal.workflow.getHandle('paced').signal(throttleSignal, {});
    await waitForConvergence(src, dst, { 'paced.events': 'id' }, 60_000);
  });

  it('reports LSNs, retained WAL and lag, and keeps the slot advancing while the selected tables are idle', async () => {
    const since = Date.now(); // all 6000 rows were applied before this instant
    const slot = (await status('paced')).slot;
    const confirmed = async (): Promise<bigint> => {
      const r = await src.query(`SELECT (confirmed_flush_lsn - '0/0')::text AS n FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
      return BigInt(r.rows[0].n);
    };
    // Only a table outside the task changes: the heartbeat must still move the slot past those writes.
    for (let i = 0; i < 20; i++) await src.query('INSERT INTO other.noise DEFAULT VALUES');
    const written = BigInt((await src.query(`SELECT (pg_current_wal_lsn() - '0/0')::text AS n`)).rows[0].n);
    await waitFor('slot confirmed past idle-table writes', async () => (await confirmed()) >= written, 20_000, 200);
    const s = await waitFor('a fresh incremental report', async () => {
      const st = await status('paced');
      return st.incremental && Date.parse(st.incremental.reportedAt) > since ? st : undefined;
    }, 30_000, 500);
    const inc = s.incremental!;
    assert.ok(inc.retainedWalBytes !== null && inc.retainedWalBytes >= 0, 'retained WAL is reported');
    assert.equal(inc.retainedWalWarning, false);
    assert.ok(inc.lagSeconds < 5, `lag ${inc.lagSeconds} s while idle`);
    assert.ok(inc.appliedLsn && inc.confirmedLsn && inc.receivedLsn, 'LSNs are reported');
    assert.ok(inc.rows >= 6000, `rows applied: ${inc.rows}`);
    assert.equal(inc.missingRows, 0);
  });

  it('fails the task, naming the table and LSN, when one change exceeds the size limit', async () => {
    startWorker({ ...ENV, PG_DTS_MAX_CHANGE_BYTES: '100000' }, 'pg-dts-small-limit');
    await start('limited', spec('limited', 'limited'), 'pg-dts-small-limit');
    await src.query(`INSERT INTO limited.blobs VALUES (1, 'small')`);
    await waitForConvergence(src, dst, { 'limited.blobs': 'id' }, 30_000);
    await src.query(`INSERT INTO limited.blobs SELECT 2, string_agg(md5(g::text), '') FROM generate_series(1, 10000) g`); // 320 kB
    const err = await temporal.workflow.getHandle('limited').result().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError, 'the task failed');
    const cause = (err as WorkflowFailedError).cause as Error & { cause?: Error };
    const text = `${cause?.message} ${cause?.cause?.message}`;
    assert.match(text, /limited\.blobs at LSN [0-9A-F]+\/[0-9A-F]+ is \d+ bytes/);
    const slots = await src.query(`SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = $1`, [(await status('limited')).slot]);
    assert.equal(slots.rows[0].n, 0, 'the failed task dropped its slot');
  });
});
