// Isolation between tasks on one source and one destination (DESIGN.md invariant 8):
// - the addition slot and origin of task `x` were the main slot and origin of task `x_add`: an addition on
//   `x` and then `pg-dts release x` ended `x_add`'s stream and dropped its slot and origin, and rows were lost.
//   Now `x_add` streams on, every row arriving, while `x` adds a table and is released;
// - two workflow ids whose hashed task ids collide (a 32-bit hash, collided on purpose), and the same workflow
//   id in another Temporal namespace, would share slot, publication and origin: the second task is refused by
//   its precheck, naming the owner, and creates or drops nothing of the first's. Against another database of
//   the same clusters too (slots and origins are cluster-wide; that database's registry has no owner to name).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import { ActivityFailure, ApplicationFailure, Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { taskContext } from '../../activities/context';
import { claimTaskObjects } from '../../activities/ownership';
import { releaseTask } from '../../activities/release';
import { ensureProgressStore } from '../../src/snapshot/progress-store';
import { parseTaskSpec } from '../../src/spec/validate';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import { taskIdFromWorkflowId } from '../../src/spec/task-id';
import { modifyObjectsSignal, statusQuery, WORKFLOW_TYPE } from '../../workflows/messages';
import { releaseAll } from '../harness/cleanup';
import { startClusterPair, TEST_PASSWORD, type ClusterPair } from '../harness/clusters';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { pgDts, startWorker, temporalAddress, temporalCli, temporalClient } from '../harness/temporal';
import { startWriteLoop, type WriteLoop } from '../harness/write-loop';

// Variables a worker hands out to specs (PG_DTS_PW_ prefix).
const ENV = { PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD };
const SCHEMA = `
  CREATE SCHEMA a; CREATE TABLE a.t1 (id int PRIMARY KEY, v text); CREATE TABLE a.t2 (id int PRIMARY KEY, v text);
  INSERT INTO a.t1 SELECT g, 'one ' || g FROM generate_series(1, 200) g; INSERT INTO a.t2 SELECT g, 'two ' || g FROM generate_series(1, 2000) g;
  CREATE SCHEMA b; CREATE TABLE b.t3 (id bigserial PRIMARY KEY, v text); INSERT INTO b.t3 (v) SELECT 'seed ' || g FROM generate_series(1, 200) g;
  CREATE SCHEMA c; CREATE TABLE c.t (id serial PRIMARY KEY, v text); INSERT INTO c.t (v) VALUES ('c');
  CREATE SCHEMA d; CREATE TABLE d.t (id serial PRIMARY KEY, v text); INSERT INTO d.t (v) VALUES ('d');
  CREATE SCHEMA e; CREATE TABLE e.t (id serial PRIMARY KEY, v text); INSERT INTO e.t (v) VALUES ('e');`;

// Two workflow ids with the same FNV-1a hash and the same cleaned form: the same task id.
const COLLIDING = ['dup.-...-.--..-.-..-.....', 'dup-.--..--.-..--...-....'] as const;
const NAMESPACE = 'pg-dts-isolation';

/** Inserts into b.t3 until stopped: the load task x_add must carry through x's addition and release. */
function startWriter(db: PgClient): WriteLoop {
  return startWriteLoop(async (n) => {
    await db.query(`INSERT INTO b.t3 (v) VALUES ($1)`, [`w${n}`]);
    if (n % 7 === 0) await db.query(`UPDATE b.t3 SET v = v || '+' WHERE id = (SELECT max(id) - 3 FROM b.t3)`);
  }, 10);
}

describe('isolation between tasks: derived names, ownership, unique task ids', () => {
  let pg: ClusterPair;
  let src: PgClient;
  let dst: PgClient;
  let load: PgClient;
  let temporal: Client;

  const spec = (name: string, objects: unknown[], extra: Record<string, unknown> = {}) => ({
    name,
    source: { url: pg.source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_SRC' },
    destination: { url: pg.destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DST' },
    objects,
    ...extra,
  });
  const status = (id: string, client = temporal) => client.workflow.getHandle(id).query(statusQuery);
  const start = async (id: string, body: unknown) => {
    await temporal.workflow.start(WORKFLOW_TYPE, { taskQueue: 'pg-dts', workflowId: id, args: [body] });
    const s = await waitFor(`${id} streaming`, async () => {
      const s = await status(id);
      return s.phase === 'incremental' || s.phase === 'failed' ? s : undefined;
    }, 120_000, 200);
    assert.equal(s.phase, 'incremental', `${id} failed: ${s.lastError}`);
    const slot = (await status(id)).slot;
    await waitFor(`${id} slot active`, async () =>
      (await src.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot])).rowCount === 1, 60_000, 100);
  };
  const slotPid = async (slot: string): Promise<number | null> =>
    (await src.query<{ pid: number | null }>('SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1', [slot])).rows[0]?.pid ?? null;
  const registry = async (db: PgClient) =>
    (await db.query(`SELECT to_regclass('_pg_dts.owners') IS NOT NULL AS ok`)).rows[0].ok
      ? (await db.query(`SELECT kind, name, namespace, workflow_id FROM _pg_dts.owners ORDER BY kind, name`)).rows
      : [];
  /** The failure of a task refused by its precheck. */
  const precheckFailure = async (result: Promise<unknown>): Promise<ApplicationFailure> => {
    const timeout = new Promise((resolve) => setTimeout(() => resolve(new Error('the task was not refused within 120 s')), 120_000).unref());
    const err = await Promise.race([result.then(() => null, (e: unknown) => e), timeout]);
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof ActivityFailure, String(err.cause));
    const failure = err.cause.cause;
    assert.ok(failure instanceof ApplicationFailure, String(failure));
    assert.equal(failure.type, 'PrecheckFailed');
    return failure;
  };

  before(async () => {
    pg = await startClusterPair();
    src = await pg.source.client();
    dst = await pg.destination.client();
    load = await pg.source.client();
    await src.query(SCHEMA);
    temporal = await temporalClient();
    startWorker(ENV);
  });
  after(async () => {
    await load?.end().catch(() => undefined);
    await src?.end().catch(() => undefined);
    await dst?.end().catch(() => undefined);
    await releaseAll();
  });

  it('x adds a table and is released: x_add (whose names x\'s addition used to take) streams on with every row', async () => {
    await start('x_add', spec('x_add', [{ schema: 'b' }]));
    await start('x', spec('x', [{ schema: 'a', tables: ['t1'] }]));
    const xAddSlot = (await status('x_add')).slot;
    assert.equal(xAddSlot, 'dts_sync_x_add');
    const writer = startWriter(load);
    try {
      await new Promise((r) => setTimeout(r, 500));
      await temporal.workflow.getHandle('x').signal(modifyObjectsSignal, { objects: [{ schema: 'a', tables: ['t1', 't2'] }] });
      const done = await waitFor('x: addition done', async () => {
        const m = (await status('x')).modification;
        return m?.state === 'done' || m?.state === 'failed' || m?.state === 'refused' ? m : undefined;
      }, 180_000, 200);
      assert.equal(done.state, 'done', `modification ${done.state}: ${done.problems.join('; ')}`);
      assert.deepEqual(done.added, ['a.t2']);
      await waitForConvergence(src, dst, { 'a.t1': 'id', 'a.t2': 'id' }, 60_000);

      // The source's registry records who owns what: x_add's names are x_add's.
      const owners = await registry(src);
      assert.ok(owners.some((r) => r.kind === 'slot' && r.name === 'dts_sync_x_add' && r.workflow_id === 'x_add' && r.namespace === 'default'), JSON.stringify(owners));

      const pidBefore = await slotPid(xAddSlot);
      const released = pgDts(['release', 'x']);
      assert.equal(released.status, 0, released.stderr);
      assert.equal((await temporal.workflow.getHandle('x').result()).phase, 'released');
      assert.equal(await slotPid(xAddSlot), pidBefore, 'x_add\'s walsender was not terminated');
      await new Promise((r) => setTimeout(r, 1000)); // writes after the release
    } finally {
      const writes = await writer.stop();
      assert.ok(writes > 50, `the writer kept writing (${writes} rounds)`);
    }
    await waitForConvergence(src, dst, { 'b.t3': 'id' }, 60_000);

    // x left nothing behind; x_add kept its slot, publication and origin, and is still streaming.
    const slots = (await src.query(`SELECT slot_name, active FROM pg_replication_slots ORDER BY 1`)).rows;
    assert.deepEqual(slots, [{ slot_name: 'dts_sync_x_add', active: true }]);
    assert.deepEqual((await src.query(`SELECT pubname FROM pg_publication ORDER BY 1`)).rows, [{ pubname: 'dts_pub_x_add' }]);
    assert.deepEqual((await dst.query(`SELECT roname FROM pg_replication_origin ORDER BY 1`)).rows, [{ roname: 'dts_origin_x_add' }]);
    assert.ok((await registry(src)).every((r) => r.workflow_id === 'x_add'), 'x\'s registry rows are gone, x_add\'s stay');
    const s = await status('x_add');
    assert.equal(s.phase, 'incremental');
    assert.equal(s.incremental?.missingRows ?? 0, 0);
    await src.query(`INSERT INTO b.t3 (v) VALUES ('after release')`);
    await waitForConvergence(src, dst, { 'b.t3': 'id' }, 60_000);
  });

  it('refuses a second task whose workflow id hashes to the same task id, touching nothing of the first', async () => {
    const [first, second] = COLLIDING;
    assert.equal(taskIdFromWorkflowId(first), taskIdFromWorkflowId(second), 'the two ids collide on purpose');
    await start(first, spec(first, [{ schema: 'c' }]));
    const slot = (await status(first)).slot;
    const pidBefore = await slotPid(slot);
    const ownersBefore = { source: await registry(src), destination: await registry(dst) };

    const handle = await temporal.workflow.start(WORKFLOW_TYPE, { taskQueue: 'pg-dts', workflowId: second, args: [spec(second, [{ schema: 'd' }])] });
    const failure = await precheckFailure(handle.result());
    assert.match(failure.message, new RegExp(`FAIL task-id-unique: task id ${taskIdFromWorkflowId(first)} is in use by another task`));
    assert.ok(failure.message.includes(`slot ${slot} belongs to workflow "${first}" in namespace "default"`), failure.message);

    assert.equal(await slotPid(slot), pidBefore, 'the first task\'s walsender was not terminated');
    assert.deepEqual({ source: await registry(src), destination: await registry(dst) }, ownersBefore, 'the refused task recorded nothing');
    assert.equal((await dst.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'd'`)).rows[0].n, 0, 'no schema created for it');
    await src.query(`INSERT INTO c.t (v) SELECT 'more ' || g FROM generate_series(1, 50) g`);
    await waitForConvergence(src, dst, { 'c.t': 'id' }, 60_000);
    assert.equal((await status(first)).phase, 'incremental');
  });

  it('refuses the same workflow id started in another namespace, against the same databases or other ones of the same clusters', async () => {
    const created = temporalCli(['operator', 'namespace', 'create', '--namespace', NAMESPACE]);
    assert.equal(created.status, 0, created.stderr);
    const connection = await Connection.connect({ address: temporalAddress() });
    const other = new Client({ connection, namespace: NAMESPACE });
    try {
      // A new namespace becomes usable once the server's namespace cache has it.
      await waitFor('namespace ready', async () => (await other.workflowService.describeNamespace({ namespace: NAMESPACE }), true), 30_000, 500);
      startWorker({ ...ENV, TEMPORAL_NAMESPACE: NAMESPACE });
      const pidBefore = await slotPid('dts_sync_x_add');
      const ownersBefore = await registry(src);
      const handle = await waitFor('started in the other namespace', () =>
        other.workflow.start(WORKFLOW_TYPE, { taskQueue: 'pg-dts', workflowId: 'x_add', args: [spec('x_add', [{ schema: 'e' }])] }), 60_000, 1000);
      const failure = await precheckFailure(handle.result());
      assert.ok(failure.message.includes('slot dts_sync_x_add belongs to workflow "x_add" in namespace "default"'), failure.message);
      assert.ok(failure.message.includes('replication origin dts_origin_x_add belongs to workflow "x_add" in namespace "default"'), failure.message);
      assert.equal(await slotPid('dts_sync_x_add'), pidBefore, 'the first task\'s walsender was not terminated');
      assert.deepEqual(await registry(src), ownersBefore);
      await src.query(`INSERT INTO b.t3 (v) VALUES ('after the refusal')`);
      await waitForConvergence(src, dst, { 'b.t3': 'id' }, 60_000);

      // Another database on both clusters: its registry knows nothing, but slots and replication origins
      // are cluster-wide, so the names are taken all the same and the task is refused.
      for (const db of [src, dst]) await db.query('CREATE DATABASE isolation_other');
      const otherSrc = await pg.source.client('isolation_other');
      await otherSrc.query(`CREATE SCHEMA e; CREATE TABLE e.t (id serial PRIMARY KEY, v text)`).finally(() => otherSrc.end());
      const elsewhere = spec('x_add', [{ schema: 'e' }], {
        source: { url: pg.source.url('isolation_other', SECURE_USER), passwordEnv: 'PG_DTS_PW_SRC' },
        destination: { url: pg.destination.url('isolation_other', SECURE_USER), passwordEnv: 'PG_DTS_PW_DST' },
      });
      const second = await other.workflow.start(WORKFLOW_TYPE, { taskQueue: 'pg-dts', workflowId: 'x_add', args: [elsewhere] });
      const refused = await precheckFailure(second.result());
      assert.ok(refused.message.includes('slot dts_sync_x_add exists but no task is recorded as its owner'), refused.message);
      assert.equal(await slotPid('dts_sync_x_add'), pidBefore, 'the first task\'s walsender was not terminated');
    } finally {
      await connection.close();
    }
  });

  it('a task started before ownership was recorded adopts its own objects; its release leaves a legacy "_add" name it cannot prove', async () => {
    // What the earlier release left on the databases: task tb (slot, publication, origin) and task tb_add,
    // whose main names are tb's legacy addition names, all unrecorded.
    await src.query(`CREATE PUBLICATION dts_pub_tb FOR TABLE e.t`);
    for (const slot of ['dts_sync_tb', 'dts_sync_tb_add']) await src.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    for (const origin of ['dts_origin_tb', 'dts_origin_tb_add']) await dst.query(`SELECT pg_replication_origin_create($1)`, [origin]);
    Object.assign(process.env, ENV);
    const taskSpec = parseTaskSpec(spec('tb', [{ schema: 'e' }]));
    const ctx = taskContext({ spec: taskSpec, taskId: 'tb' });
    const asWorkflow = (workflowId: string) => new MockActivityEnvironment({ namespace: 'default', workflowExecution: { workflowId, runId: 'run' } });
    const slots = async () => (await src.query(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'dts_sync_tb%' ORDER BY 1`)).rows.map((r) => r.slot_name);
    const origins = async () => (await dst.query(`SELECT roname FROM pg_replication_origin WHERE roname LIKE 'dts_origin_tb%' ORDER BY 1`)).rows.map((r) => r.roname);

    // A task started since then (naming v2) never takes over objects nobody is recorded to own.
    await assert.rejects(asWorkflow('tb').run(claimTaskObjects, ctx, { taskId: 'tb', naming: 'v2' as const }), /no task is recorded as its owner/);
    // The task that made them (naming v1: activities scheduled before the upgrade carry no naming) adopts them.
    await asWorkflow('tb').run(claimTaskObjects, ctx, { taskId: 'tb' });
    const owners = (await registry(src)).filter((r) => r.workflow_id === 'tb').map((r) => `${r.kind} ${r.name}`);
    assert.deepEqual(owners, ['capture tb', 'publication dts_pub_tb', 'slot dts_sync_tb']);

    // Its release drops its own objects and leaves dts_sync_tb_add / dts_origin_tb_add: nothing proves they are tb's.
    await asWorkflow('tb').run(releaseTask, { spec: taskSpec, taskId: 'tb' });
    assert.deepEqual(await slots(), ['dts_sync_tb_add']);
    assert.deepEqual(await origins(), ['dts_origin_tb_add']);
    assert.deepEqual((await src.query(`SELECT pubname FROM pg_publication WHERE pubname = 'dts_pub_tb'`)).rows, []);
    assert.ok((await registry(src)).every((r) => r.workflow_id !== 'tb'));

    // An addition in flight at the upgrade recorded its slot in tb's own progress on tb's destination: then it is tb's.
    await ensureProgressStore(dst);
    await dst.query(`INSERT INTO _pg_dts.full_sync (task_id, run_id, slot, plan) VALUES ('tb:added', 'run', 'dts_sync_tb_add', '[]')`);
    await asWorkflow('tb').run(releaseTask, { spec: taskSpec, taskId: 'tb' });
    assert.deepEqual(await slots(), []);
    assert.deepEqual(await origins(), []);
    const table = (await dst.query(`SELECT to_regclass('_pg_dts.full_sync') IS NOT NULL AS ok`)).rows[0].ok; // gone with the last task
    assert.equal(table ? (await dst.query(`SELECT count(*)::int AS n FROM _pg_dts.full_sync WHERE task_id LIKE 'tb%'`)).rows[0].n : 0, 0);
  });
});
