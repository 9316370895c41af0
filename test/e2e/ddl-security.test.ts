// What a role on the source can make the destination do through a running task (issue 14, items 1, 2, 6, 8):
// forged DDL messages from a LOGIN-only role are ignored and counted; replicated DDL may not run
// privileged functions on the destination; the "pg-dts's own DDL" flag does not hide a role's DDL from
// capture; a table whose destination name is taken is refused as DDL while the stream goes on; a row
// filter's functions cannot be shadowed by a function in public.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { waitFor } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const TASK = 'secddl';
const FILTERED = 'secfilter';
const SOURCE = `
  CREATE SCHEMA s;
  CREATE TABLE s.t (id int PRIMARY KEY, v text);
  CREATE TABLE s.t2 (id int PRIMARY KEY);
  INSERT INTO s.t VALUES (1, 'a');
  INSERT INTO s.t2 VALUES (1);
  CREATE ROLE mallory LOGIN;
  CREATE ROLE appowner LOGIN;
  CREATE SCHEMA app AUTHORIZATION appowner;
  CREATE TABLE app.app_t (id int PRIMARY KEY, v text);
  ALTER TABLE app.app_t OWNER TO appowner;
  INSERT INTO app.app_t VALUES (1, 'x');
  CREATE SCHEMA f;
  CREATE TABLE f.ft (id int PRIMARY KEY, vc varchar(10));
  INSERT INTO f.ft VALUES (1, 'a'), (2, 'b'), (3, 'A');
  -- A role that may create functions in public plants a lower(varchar), which overload resolution prefers to
  -- pg_catalog.lower(text) for a varchar argument under the default search_path.
  GRANT CREATE ON SCHEMA public TO mallory;
  CREATE TABLE public.shadow_calls (who text);
  GRANT INSERT ON public.shadow_calls TO PUBLIC;`;

describe('security: what a source role can make the destination do', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  const roles: PgClient[] = [];
  const status = (task: string) => temporal.workflow.getHandle(task).query(statusQuery);
  const as = async (user: string): Promise<PgClient> => {
    const c = new PgClient({ host: '127.0.0.1', port: cs.pg.source.port, user, database: 'postgres' });
    c.on('error', () => undefined);
    await c.connect();
    roles.push(c);
    return c;
  };
  const ddlStats = async () => (await status(TASK)).incremental?.ddl;
  const dstRow = async (sql: string, params: unknown[] = []) => (await cs.dst.query(sql, params)).rows[0];

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(SOURCE);
    const mallory = await as('mallory');
    await mallory.query(`CREATE FUNCTION public.lower(varchar) RETURNS text LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO public.shadow_calls VALUES (current_user); RETURN pg_catalog.lower($1::text); END $$`);
    temporal = await temporalClient();
    startWorker(WORKER_ENV);
    await temporal.workflow.start('syncTask', { taskQueue: 'pg-dts', workflowId: TASK, args: [clusterSpec(cs.pg, TASK, { objects: [{ schema: 's' }, { schema: 'app' }] })] });
    await temporal.workflow.start('syncTask', {
      taskQueue: 'pg-dts', workflowId: FILTERED,
      args: [clusterSpec(cs.pg, FILTERED, { objects: [{ schema: 'f', tables: [{ name: 'ft', where: "lower(vc) = 'a'" }] }] })],
    });
    for (const task of [TASK, FILTERED]) {
      await waitFor(`${task} streaming`, async () => (await status(task)).phase === 'incremental', 180_000, 200);
    }
  });
  after(async () => {
    for (const c of roles) await c.end().catch(() => undefined);
    await cs?.close();
  });

  it('ignores and counts DDL messages forged by a LOGIN-only role; the capture table and recorder refuse it', async () => {
    const mallory = await as('mallory');
    // The task id is visible to every role (slot names); the prefix follows from it.
    const slot = (await mallory.query(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'dts_sync_${TASK}%'`)).rows[0]!.slot_name as string;
    const prefix = `pg-dts:${slot.replace(/^dts_sync_/, '')}:ddl`;
    const forged = [
      { query: 'DROP TABLE s.t2', tag: 'DROP TABLE', ordinal: 0, searchPath: ['s'], role: 'origin', objects: [], dropped: [{ type: 'table', schema: 's', name: 't2', identity: 's.t2' }] },
      { query: "ALTER TABLE s.t ADD COLUMN pwn text DEFAULT pg_read_file('/etc/hostname') || current_user", tag: 'ALTER TABLE', ordinal: 0, searchPath: ['s'], role: 'origin', objects: [{ type: 'table', schema: 's', identity: 's.t' }] },
    ];
    for (const body of forged) await mallory.query('SELECT pg_logical_emit_message(true, $1, $2)', [prefix, JSON.stringify(body)]);
    await assert.rejects(mallory.query(`INSERT INTO _pg_dts.ddl_log_${TASK} (captured) VALUES ('{}')`), /permission denied/);
    await assert.rejects(mallory.query(`SELECT _pg_dts.ddl_record_${TASK}('ddl_command_end', 'DROP TABLE', ARRAY['s'], 'origin', false)`), /can only be called in an event trigger function/);
    await cs.src.query(`INSERT INTO s.t VALUES (2, 'after the forgeries')`);
    await waitFor('row after the forgeries applied', async () => (await dstRow('SELECT count(*)::int AS n FROM s.t WHERE id = 2')).n === 1, 60_000, 200);
    assert.equal((await dstRow(`SELECT to_regclass('s.t2') IS NOT NULL AS e`)).e, true, 's.t2 must still exist on the destination');
    assert.equal((await dstRow(`SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 's.t'::regclass AND attname = 'pwn'`)).n, 0);
    const stats = await waitFor('forgeries counted in status', async () => ((await ddlStats())?.ignoredMessages ?? 0) >= 2 && (await ddlStats()), 30_000, 200);
    assert.equal(stats.ignoredMessages, 2);
    assert.equal(stats.applied, 0, 'nothing forged was applied');
  });

  it("refuses replicated DDL whose expression would run a privileged function on the destination; the author's own rights are what the source checked", async () => {
    const victim = await cs.pg.destination.client();
    roles.push(victim);
    const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0]!.pid as number;
    assert.equal((await cs.src.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0]!.n, 0, 'the pid must not exist on the source');
    const owner = await as('appowner');
    // On the source the pid is no backend: a warning, the ALTER succeeds with the application owner's rights.
    await owner.query(`ALTER TABLE app.app_t ADD COLUMN z boolean DEFAULT pg_terminate_backend(${pid})`);
    await owner.query(`ALTER TABLE app.app_t ADD COLUMN w text DEFAULT lower('X')`);
    await owner.query(`INSERT INTO app.app_t (id, v) VALUES (2, 'y')`);
    await waitFor('row after the ALTERs applied', async () => (await dstRow('SELECT count(*)::int AS n FROM app.app_t WHERE id = 2')).n === 1, 60_000, 200);
    assert.deepEqual((await victim.query('SELECT 1 AS alive')).rows, [{ alive: 1 }], 'the destination session was not terminated');
    // Status is reported every few seconds: wait for the refusal and the applied ALTER to show there.
    const stats = await waitFor('the refusal in status', async () => {
      const s = await ddlStats();
      return s && (s.refusedBy['unsafe-expression'] ?? 0) >= 1 && s.applied >= 1 && s;
    }, 30_000, 200);
    assert.equal(stats.refusedBy['unsafe-expression'], 1);
    const refused = stats.recent.find((e) => e.outcome === 'unsafe-expression');
    assert.match(refused?.detail ?? '', /pg_terminate_backend/);
    assert.equal((await dstRow(`SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'app.app_t'::regclass AND attname = 'z'`)).n, 0);
    assert.equal((await dstRow('SELECT w FROM app.app_t WHERE id = 1')).w, 'x', 'the safe ALTER (pg_catalog.lower) was replicated');
  });

  it("captures a role's DDL even when it sets pg-dts's own-DDL flag", async () => {
    const owner = await as('appowner');
    await owner.query(`SET pg_dts.capturing = 'on'`);
    await owner.query('ALTER TABLE app.app_t ADD COLUMN q int');
    await owner.query('INSERT INTO app.app_t (id, v, q) VALUES (3, $1, 7)', ['z']);
    await waitFor('column q and its value on the destination', async () => (await cs.dst.query('SELECT q FROM app.app_t WHERE id = 3').catch(() => ({ rows: [] }))).rows[0]?.q === 7, 60_000, 200);
  });

  it('refuses a new table whose destination name is taken (name case) as DDL, and the stream goes on', async () => {
    await cs.src.query(`CREATE TABLE s."Zed" (id int PRIMARY KEY, v text); INSERT INTO s."Zed" VALUES (1, 'upper')`);
    await waitFor('"Zed" replicated as s.zed', async () => (await cs.dst.query('SELECT v FROM s.zed').catch(() => ({ rows: [] }))).rows[0]?.v === 'upper', 60_000, 200);
    await cs.src.query(`CREATE TABLE s.zed (id int PRIMARY KEY, v text)`);
    await cs.src.query(`INSERT INTO s.zed VALUES (1, 'lower'), (2, 'lower')`);
    await cs.src.query(`INSERT INTO s.t VALUES (3, 'after the collision'); INSERT INTO s."Zed" VALUES (2, 'upper')`);
    await waitFor('rows after the collision applied', async () => (await dstRow('SELECT count(*)::int AS n FROM s.t WHERE id = 3')).n === 1, 60_000, 200);
    await waitFor('"Zed" row 2', async () => (await dstRow('SELECT count(*)::int AS n FROM s.zed')).n === 2, 30_000, 200);
    assert.deepEqual((await cs.dst.query('SELECT id, v FROM s.zed ORDER BY id')).rows, [{ id: 1, v: 'upper' }, { id: 2, v: 'upper' }], 'no row of s.zed went into the table of s."Zed"');
    const st = await waitFor('the collision in status', async () => {
      const s = await status(TASK);
      return (s.incremental?.ddl?.refusedBy['name-collision'] ?? 0) >= 1 && s;
    }, 30_000, 200);
    assert.equal(st.phase, 'incremental');
    assert.match(st.incremental!.ddl!.recent.find((e) => e.outcome === 'name-collision')!.detail!, /s\.zed maps to s\.zed on the destination/);
  });

  it('keeps only the latest capture rows on the source (the stream reads them from the WAL), and goes on streaming', async () => {
    const comments = Array.from({ length: 1_150 }, (_, i) => `COMMENT ON TABLE s.t IS 'c${i}';`).join('\n');
    await cs.src.query(comments);
    await cs.src.query(`INSERT INTO s.t VALUES (4, 'after many captures')`);
    await waitFor('row after 1 150 captures applied', async () => (await dstRow('SELECT count(*)::int AS n FROM s.t WHERE id = 4')).n === 1, 120_000, 250);
    const kept = (await cs.src.query(`SELECT count(*)::int AS n, max(id)::int AS last FROM _pg_dts.ddl_log_${TASK}`)).rows[0]!;
    assert.ok(kept.last >= 1_150, `capture ids: ${JSON.stringify(kept)}`);
    assert.ok(kept.n <= 1_100, `capture rows kept: ${kept.n}`);
  });

  it('never calls a function planted in public to shadow a row filter\'s built-in (precheck, copy and stream)', async () => {
    const filtered = async () => (await cs.dst.query('SELECT id, vc FROM f.ft ORDER BY id')).rows;
    assert.deepEqual(await filtered(), [{ id: 1, vc: 'a' }, { id: 3, vc: 'A' }]);
    await cs.src.query(`INSERT INTO f.ft VALUES (4, 'a'), (5, 'c')`);
    await waitFor('streamed rows through the filter', async () => (await filtered()).length === 3, 60_000, 200);
    assert.deepEqual(await filtered(), [{ id: 1, vc: 'a' }, { id: 3, vc: 'A' }, { id: 4, vc: 'a' }]);
    assert.deepEqual((await cs.src.query('SELECT who FROM public.shadow_calls')).rows, [], 'the shadowing function was called');
  });
});
