// Taking over writes on the destination (issue 16, items 6 and 7), through the pg-dts CLI as a user would,
// on real clusters through Temporal: destination sequences follow the source's while the task streams
// (`pg-dts sequences`, and the worker's periodic refresh), a cutover refused for lag leaves the task
// streaming, and `pg-dts cutover --freeze-source` under application writes ends with a destination that
// takes the application's INSERTs (default values) without a duplicate key, and a released source.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import type { SyncTaskResult } from '../../workflows/sync-task';
import { onCleanup } from '../harness/cleanup';
import { openClusterSessions, TEST_PASSWORD, type ClusterSessions } from '../harness/clusters';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startStreamingTask } from '../harness/streaming-task';
import { clusterSpec, startTask } from '../harness/task-spec-file';
import { pgDts, startWorker, temporalAddress, temporalClient } from '../harness/temporal';
import { startWriteLoop } from '../harness/write-loop';

const ENV = { PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD };
const TASK = 'cut';
const TABLES = { 'app.orders': 'id', 'app.events': 'id', 'app.tickets': 'no' };
/** Each table's sequence: serial, identity, and a standalone sequence behind a column default. */
const SEQUENCES: Record<string, string> = {
  'app.orders': `pg_get_serial_sequence('app.orders', 'id')`,
  'app.events': `pg_get_serial_sequence('app.events', 'id')`,
  'app.tickets': `'app.ticket_no'`,
};
const SCHEMA = `
  CREATE ROLE app LOGIN;
  CREATE SCHEMA app;
  CREATE TABLE app.orders (id serial PRIMARY KEY, note text);
  CREATE TABLE app.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);
  CREATE SEQUENCE app.ticket_no START 100;
  CREATE TABLE app.tickets (no bigint PRIMARY KEY DEFAULT nextval('app.ticket_no'), note text);
  GRANT USAGE ON SCHEMA app TO app;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA app TO app;
  GRANT USAGE ON ALL SEQUENCES IN SCHEMA app TO app;
  INSERT INTO app.orders (note) SELECT 'o' || g FROM generate_series(1, 50) g;
  INSERT INTO app.events (note) SELECT 'e' || g FROM generate_series(1, 50) g;
  INSERT INTO app.tickets (note) SELECT 't' || g FROM generate_series(1, 50) g;
  CREATE SCHEMA fast; CREATE TABLE fast.items (id serial PRIMARY KEY, note text);`;

/** `pgDts` without blocking this process (the application's writes go on meanwhile). */
function pgDtsAsync(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'pg-dts.js'), ...args], {
    env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress() }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ status: code ?? -1, stdout, stderr })));
}

/** The value the next nextval() of the table's sequence returns. */
async function nextOf(db: PgClient, table: string): Promise<bigint> {
  const seq = (await db.query(`SELECT ${SEQUENCES[table]}::regclass::text AS s`)).rows[0].s;
  const r = await db.query(`SELECT last_value::text AS v, is_called FROM ${seq}`);
  return BigInt(r.rows[0].v) + (r.rows[0].is_called ? 1n : 0n);
}

/** One round of application writes: a row in each table, default keys, plus values burned without a row. */
async function appRound(db: PgClient, n: number): Promise<void> {
  await db.query(`INSERT INTO app.orders (note) VALUES ($1)`, [`w${n}`]);
  await db.query(`INSERT INTO app.events (note) VALUES ($1)`, [`w${n}`]);
  await db.query(`INSERT INTO app.tickets (note) VALUES ($1)`, [`w${n}`]);
  // A rolled-back insert: the sequences move on, no row shows it (the destination can only learn it from the sequence).
  await db.query('BEGIN');
  await db.query(`INSERT INTO app.orders (note) VALUES ('rolled back')`);
  await db.query('ROLLBACK');
  await db.query(`SELECT nextval('app.ticket_no')`);
}

describe('sequences follow the source, and pg-dts cutover switches over', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  let app: PgClient;
  const status = (id = TASK) => temporal.workflow.getHandle(id).query(statusQuery);

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(SCHEMA);
    app = new PgClient({ host: '127.0.0.1', port: cs.pg.source.port, user: 'app', database: 'postgres' });
    await app.connect();
    onCleanup(() => app.end().catch(() => undefined));
    temporal = await temporalClient();
    // The main task's worker refreshes once an hour: what moves its sequences below is `pg-dts sequences`.
    startWorker({ ...ENV, PG_DTS_SEQUENCE_REFRESH_SECONDS: '3600' });
    startWorker({ ...ENV, PG_DTS_SEQUENCE_REFRESH_SECONDS: '2' }, 'pg-dts-fast');
    startTask(clusterSpec(cs.pg, TASK, { objects: [{ schema: 'app' }], syncTypes: ['schema', 'full', 'incremental'] }));
    await waitFor(`${TASK} streaming`, async () => {
      const s = await status();
      return s.phase === 'incremental' && s.incremental !== null;
    }, 180_000, 200);
  });
  after(() => cs?.close());

  it('pg-dts sequences moves the destination sequences to the source\'s, never backwards', async () => {
    for (let n = 1; n <= 20; n++) await appRound(app, n);
    await waitForConvergence(cs.src, cs.dst, TABLES, 60_000);
    for (const table of Object.keys(SEQUENCES)) {
      assert.ok((await nextOf(cs.dst, table)) < (await nextOf(cs.src, table)), `${table}: the destination's sequence is behind before`);
    }
    const r = pgDts(['sequences', TASK]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^cut: 3 destination sequences followed, 3 moved forward\n/);
    for (const table of Object.keys(SEQUENCES)) assert.equal(await nextOf(cs.dst, table), await nextOf(cs.src, table), `${table}: at the source's`);
    const again = pgDts(['sequences', TASK]);
    assert.match(again.stdout, /3 destination sequences followed, 0 moved forward/);
    // A destination sequence ahead of the source's stays where it is.
    await cs.dst.query(`SELECT setval(pg_get_serial_sequence('app.orders', 'id'), 5000)`);
    await appRound(app, 21);
    const third = pgDts(['sequences', TASK]);
    assert.match(third.stdout, /3 destination sequences followed, 2 moved forward/);
    assert.equal(await nextOf(cs.dst, 'app.orders'), 5001n);
  });

  it('a worker refreshes the sequences periodically while the task streams', async () => {
    await startStreamingTask(temporal, cs, 'fast', 'pg-dts-fast', { objects: [{ schema: 'fast' }] });
    await waitFor('fast slot active', async () =>
      (await cs.src.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = 'dts_sync_fast' AND active`)).rowCount === 1, 60_000, 100);
    await cs.src.query(`INSERT INTO fast.items (note) SELECT 'i' FROM generate_series(1, 10); SELECT nextval('fast.items_id_seq') FROM generate_series(1, 5)`);
    const next = async (db: PgClient) => BigInt((await db.query(`SELECT last_value::text AS v FROM fast.items_id_seq`)).rows[0].v);
    await waitFor('destination sequence at the source\'s 15', async () => (await next(cs.dst)) === 15n, 30_000, 250);
    assert.equal(await next(cs.src), 15n);
    const released = pgDts(['release', 'fast']);
    assert.equal(released.status, 0, released.stderr);
    await temporal.workflow.getHandle('fast').result();
  });

  it('a cutover refused for lag leaves the task streaming', async () => {
    // The destination holds the stream back (a lock on a table it must write): the lag grows.
    const blocker = await cs.pg.destination.client();
    onCleanup(() => blocker.end().catch(() => undefined));
    await blocker.query('BEGIN; LOCK TABLE app.orders IN ACCESS EXCLUSIVE MODE');
    await app.query(`INSERT INTO app.orders (note) SELECT 'backlog' FROM generate_series(1, 600)`);
    await waitFor('lag over 3 s', async () => ((await status()).incremental?.lagSeconds ?? 0) > 3, 60_000, 500);
    const r = pgDts(['cutover', TASK, '--max-lag-seconds', '2', '--freeze-source']);
    await blocker.query('ROLLBACK');
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /cutover refused: the lag is [\d.]+ s, over --max-lag-seconds 2.*the task keeps streaming/);
    const s = await status();
    assert.equal(s.cutover?.state, 'refused');
    assert.equal((await temporal.workflow.getHandle(TASK).describe()).status.name, 'RUNNING');
    await app.query(`INSERT INTO app.orders (note) VALUES ('the source still takes writes')`); // nothing was frozen
    await waitForConvergence(cs.src, cs.dst, TABLES, 90_000);
    await waitFor('lag back under 2 s', async () => ((await status()).incremental?.lagSeconds ?? 99) < 2, 60_000, 500);
    assert.equal((await status()).phase, 'incremental');
    assert.match(pgDts(['status', TASK]).stdout, /cutover: refused, .*\n {2}refused: the lag is/);
  });

  it('pg-dts cutover --freeze-source under writes: the destination takes the application\'s INSERTs, the source is released', async () => {
    const failures: string[] = [];
    const writes = startWriteLoop(async (n) => {
      await appRound(app, 100 + n).catch(async (err: Error) => {
        failures.push(err.message);
        await app.query('ROLLBACK').catch(() => undefined);
      });
    }, 20);
    await new Promise((r) => setTimeout(r, 2000));
    const r = await pgDtsAsync(['cutover', TASK, '--freeze-source']);
    const rounds = await writes.stop();
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}\n${JSON.stringify((await status()).cutover, null, 1)}`);
    console.log(`# ${rounds} rounds of writes, ${failures.length} refused after the freeze\n${r.stdout.replace(/^/gm, '# ')}`);
    assert.match(r.stdout, /^cutover of cut done at .*; the task is released/);
    assert.match(r.stdout, /Next:\n {2}1\. Point the application at the destination/);
    assert.match(r.stdout, /GRANT INSERT ON app\.orders TO app;/);
    assert.ok(failures.length > 0 && failures.every((m) => /permission denied/.test(m)), `writes after the freeze are refused: ${failures.slice(0, 3).join('; ')}`);

    const result = (await temporal.workflow.getHandle(TASK).result()) as SyncTaskResult;
    assert.equal(result.phase, 'released');
    const c = result.cutover!;
    assert.equal(c.state, 'done');
    assert.equal(c.check?.ok, true);
    assert.equal(c.check?.method, 'checksum', 'pg-dts verify compared every row');
    assert.match(r.stdout, /every row compared by checksum \(pg-dts verify, workflow cut-verify-/);
    assert.equal(c.check?.tables.length, 3);
    assert.ok(c.frozen && c.frozen.length >= 9, 'INSERT, UPDATE, DELETE revoked from app on three tables');
    assert.equal(c.sequences?.sequences, 3);
    assert.match(pgDts(['status', TASK]).stdout, /cutover: done, .*source frozen/);

    const slots = await cs.src.query(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'dts_sync_cut%'`);
    assert.equal(slots.rowCount, 0, 'the slot is gone');
    const pubs = await cs.src.query(`SELECT pubname FROM pg_publication WHERE pubname = 'dts_pub_cut'`);
    assert.equal(pubs.rowCount, 0, 'the publication is gone');
    await assert.rejects(app.query(`INSERT INTO app.orders (note) VALUES ('late')`), /permission denied/);

    // Every row the source has, the destination has; then the application writes there, default keys and all.
    for (const [table, key] of Object.entries(TABLES)) {
      const count = async (db: PgClient) => Number((await db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
      assert.equal(await count(cs.dst), await count(cs.src), `${table}: rows`);
      assert.ok((await nextOf(cs.dst, table)) >= (await nextOf(cs.src, table)) + 1000n, `${table}: 1000 values past the source's`);
      for (let i = 0; i < 20; i++) await cs.dst.query(`INSERT INTO ${table} (note) VALUES ('on the destination') RETURNING ${key}`);
    }
  });
});
