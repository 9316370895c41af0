// A full sync that cannot write must not hold the source (issue 14, item 9). With conflictingTables
// "ignore" and a destination table lacking a source column, the destination refuses the copy: the task
// fails within its retry window with the destination's error, the other copy worker (a long, throttled
// table) is ended with it, and the source is left with no session idle in a transaction and no lock on
// the tables. pg-dts's ALTERs on the source (REPLICA IDENTITY at start and release) wait for a table's
// lock only briefly and try again, so readers of a table held by a long transaction do not queue for long.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { restoreReplicaIdentity, setReplicaIdentityFull, type SourceLockPolicy } from '../../src/stream/replica-identity';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import { openClusterSessions, TEST_PASSWORD, type ClusterSessions } from '../harness/clusters';
import { startWorker, temporalClient } from '../harness/temporal';

const QUEUE = 'pg-dts-source-locks';
const TASK = 'stuck-full';

describe('source sessions and locks of a failing full sync', () => {
  let cs: ClusterSessions;
  let temporal: Client;

  /** Source sessions other than the test's own that sit idle inside a transaction. */
  const idleInTransaction = async (): Promise<Array<{ pid: number; app: string; seconds: number }>> =>
    (await cs.src.query(
      `SELECT pid, application_name AS app, extract(epoch FROM now() - state_change)::float8 AS seconds
         FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()`,
    )).rows;
  const locksOn = async (tables: string[]): Promise<number> =>
    (await cs.src.query(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'relation' AND relation = ANY ($1::regclass[]) AND pid <> pg_backend_pid()`,
      [tables],
    )).rows[0].n;

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(`
      CREATE SCHEMA stuck;
      CREATE TABLE stuck.narrow (id int PRIMARY KEY, a text, b text);
      INSERT INTO stuck.narrow SELECT g, 'a' || g, 'b' || g FROM generate_series(1, 1000) g;
      CREATE TABLE stuck.big (id int PRIMARY KEY, pad text);
      INSERT INTO stuck.big SELECT g, repeat('x', 200) FROM generate_series(1, 200000) g;`);
    // The destination already has both tables (ignore mode keeps them); "narrow" lacks column b.
    await cs.dst.query(`
      CREATE SCHEMA stuck;
      CREATE TABLE stuck.narrow (id int PRIMARY KEY, a text);
      CREATE TABLE stuck.big (id int PRIMARY KEY, pad text);`);
    temporal = await temporalClient();
    startWorker({ PG_DTS_PW_SOURCE: TEST_PASSWORD, PG_DTS_PW_DESTINATION: TEST_PASSWORD, PG_DTS_OTHER_WINDOW_SECONDS: '5' }, QUEUE);
  });
  after(() => cs?.close());

  it('fails within its retry window with the destination error, leaving no idle transaction and no lock on the source', async () => {
    const started = Date.now();
    await temporal.workflow.start('syncTask', {
      taskQueue: QUEUE, workflowId: TASK,
      args: [{
        name: TASK,
        source: { url: cs.pg.source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_SOURCE' },
        destination: { url: cs.pg.destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DESTINATION' },
        conflictingTables: 'ignore', objects: [{ schema: 'stuck' }],
        // The big table alone would take over 100 s: the failure must not wait for it.
        throttle: { full: { rps: 2000 } },
      }],
    });
    // While the task retries, no source session may stay idle in a transaction for long: a copy session
    // whose COPY nobody reads, or a snapshot's exporter kept for the whole copy, would.
    let longestIdle = { seconds: 0, app: '' };
    let finished = false;
    const watch = (async () => {
      while (!finished) {
        for (const s of await idleInTransaction()) if (s.seconds > longestIdle.seconds) longestIdle = s;
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const outcome = await Promise.race([
      temporal.workflow.getHandle(TASK).result().then(() => null, (e: unknown) => e),
      new Promise((r) => setTimeout(() => r('still running after 100 s'), 100_000)),
    ]);
    finished = true;
    await watch;
    const seconds = (Date.now() - started) / 1000;
    assert.ok(outcome instanceof WorkflowFailedError, `the task failed (got: ${String(outcome)}; idle in transaction: ${JSON.stringify(await idleInTransaction())})`);
    const cause = outcome.cause as Error & { cause?: Error & { type?: string } };
    const text = `${cause?.message} ${cause?.cause?.message} type=${cause?.cause?.type}`;
    assert.match(text, /column "b" does not exist/, 'the destination error is the failure');
    assert.match(text, /type=RetryWindowExceeded/);
    assert.ok(seconds < 90, `failed after ${seconds.toFixed(0)} s (window 5 s)`);
    assert.ok(longestIdle.seconds < 10, `a source session stayed idle in a transaction for ${longestIdle.seconds.toFixed(1)} s (${longestIdle.app})`);

    assert.deepEqual(await idleInTransaction(), [], 'no source session idle in a transaction');
    assert.equal(await locksOn(['stuck.narrow', 'stuck.big']), 0, 'no lock held on the source tables');
    // The release after the failure put the replica identity back (its ALTERs got their locks).
    const identities = (await cs.src.query(
      `SELECT relname, relreplident::text AS r FROM pg_class WHERE relnamespace = 'stuck'::regnamespace AND relkind = 'r' ORDER BY 1`,
    )).rows;
    assert.deepEqual(identities, [{ relname: 'big', r: 'd' }, { relname: 'narrow', r: 'd' }]);
    await cs.src.query(`SET lock_timeout = '1s'; ALTER TABLE stuck.narrow ADD COLUMN c int; RESET lock_timeout`);
    assert.equal((await cs.src.query(`SELECT count(*)::int AS n FROM pg_replication_slots`)).rows[0].n, 0, 'the slot is dropped');
    assert.equal((await cs.dst.query(`SELECT count(*)::int AS n FROM stuck.big`)).rows[0].n, 0, 'the cut copy was rolled back');
  });

  describe('ALTER TABLE on the source waits for a lock briefly and retries', () => {
    const table = { schema: 'lk', name: 't' };
    const quick: SourceLockPolicy = { lockTimeoutMs: 300, tries: 200, pauseMs: () => 300 };
    let blocker: PgClient;
    let reader: PgClient;
    const identity = async (): Promise<string> =>
      (await cs.src.query(`SELECT relreplident::text AS r FROM pg_class WHERE oid = 'lk.t'::regclass`)).rows[0].r;
    /** Reads the table a few times with a 2 s lock_timeout while the ALTER is being tried: none may time out. */
    const readWhileAltering = async (): Promise<void> => {
      await reader.query(`SET lock_timeout = '2s'`);
      for (let i = 0; i < 6; i++) {
        await reader.query('SELECT count(*) FROM lk.t');
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    before(async () => {
      await cs.src.query(`CREATE SCHEMA lk; CREATE TABLE lk.t (id int PRIMARY KEY, v text); INSERT INTO lk.t VALUES (1, 'one')`);
      blocker = await cs.pg.source.client();
      reader = await cs.pg.source.client();
    });
    after(async () => {
      await blocker?.end();
      await reader?.end();
    });

    it('setting REPLICA IDENTITY FULL does not make readers queue behind it, and goes through once the lock is free', async () => {
      await blocker.query('BEGIN; SELECT * FROM lk.t'); // a long reading transaction holds ACCESS SHARE
      const setting = setReplicaIdentityFull(cs.src, cs.dst, 'lk-task', [table], quick);
      try {
        await readWhileAltering();
      } finally {
        await blocker.query('COMMIT');
      }
      assert.deepEqual(await setting, [table]);
      assert.equal(await identity(), 'f');
    });

    it('gives up after its tries naming the lock holder; release keeps the record and restores later', async () => {
      await blocker.query('BEGIN; SELECT * FROM lk.t');
      const pid = (await blocker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      try {
        await assert.rejects(
          restoreReplicaIdentity(cs.src, cs.dst, 'lk-task', 'dts_pub_none', { ...quick, tries: 3 }),
          (err: Error & { code?: string }) => {
            assert.equal(err.code, '55P03');
            assert.match(err.message, new RegExp(`REPLICA IDENTITY DEFAULT on the source: the table's lock was not available within 0\\.3 s in 3 tries; held by pid ${pid} \\(idle in transaction`));
            return true;
          },
        );
        assert.equal(await identity(), 'f', 'not restored while held');
      } finally {
        await blocker.query('COMMIT');
      }
      assert.deepEqual(await restoreReplicaIdentity(cs.src, cs.dst, 'lk-task', 'dts_pub_none', quick), [table], 'the record was kept for the next release');
      assert.equal(await identity(), 'd');
    });
  });
});
