// `pg-dts verify --repair` end to end through Temporal on real clusters: a streaming task under a write
// loop; a changed row, a missing row, an extra row and 600 changed rows (two control rows) injected on
// the destination (replica role, so the stream does not repair them), one in a table with a renamed
// column. The repair replaces them through the stream, the second look is clean, the destination then
// equals the source, and later changes of a repaired key still replicate. A paused task refuses the
// repair, saying what to do (workflow and CLI); a repair the destination cannot take (no unique index on
// the key there) is refused visibly in status while the stream goes on; a released task is repaired
// directly on the destination.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { exitCodeOf } from '../../src/verify/compare';
import type { VerifyInput, VerifyReport } from '../../src/verify/types';
import { pauseSignal, releaseSignal, resumeSignal, statusQuery } from '../../workflows/messages';
import { VERIFY_WORKFLOW_TYPE } from '../../workflows/verify-messages';
import { tableChecksum, waitFor } from '../harness/checksum';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { WORKER_ENV } from '../harness/sample-fixture';
import { clusterSpec, startTask } from '../harness/task-spec-file';
import { pgDts, startWorker, temporalClient } from '../harness/temporal';
import { startWriteLoop, type WriteLoop } from '../harness/write-loop';

const TASK = 'verify-repair-e2e';

describe('pg-dts verify --repair', () => {
  let fx: ClusterSessions;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;
  let loop: WriteLoop | undefined;
  let runs = 0;

  const verify = async (input: Omit<VerifyInput, 'task'>): Promise<VerifyReport> =>
    (await temporal.workflow.execute(VERIFY_WORKFLOW_TYPE, { taskQueue: 'pg-dts', workflowId: `${TASK}-repair-${++runs}`, args: [{ task: TASK, rangeRows: 300, ...input }] })) as VerifyReport;
  /** Both sides' rows of the two tables (the renamed column compared under one name). */
  const sides = async (): Promise<[string, string]> => {
    const of = async (db: PgClient, renamed: string) =>
      JSON.stringify([await tableChecksum(db, 'rp.items', 'id'), await tableChecksum(db, `(SELECT id, ${renamed} AS label FROM rp.${db === src ? '"Labels"' : 'labels'}) `, 'id')]);
    return [await of(src, '"Label"'), await of(dst, 'label')];
  };

  before(async () => {
    fx = await openClusterSessions();
    ({ src, dst } = fx);
    await src.query(`
      CREATE SCHEMA rp;
      CREATE TABLE rp.items (id int PRIMARY KEY, body text NOT NULL, n int, note text);
      INSERT INTO rp.items SELECT g, 'body ' || g, g, CASE WHEN g % 2 = 0 THEN 'n' || g END FROM generate_series(1, 1200) g;
      CREATE TABLE rp."Labels" (id int PRIMARY KEY, "Label" text NOT NULL);
      INSERT INTO rp."Labels" SELECT g, 'label ' || g FROM generate_series(1, 300) g;
      ANALYZE rp.items, rp."Labels";`);
    startWorker(WORKER_ENV);
    temporal = await temporalClient();
    startTask(clusterSpec(fx.pg, TASK, { objects: [{ schema: 'rp', tables: ['items', { name: 'Labels', columns: { Label: 'label' } }] }] }));
    await waitFor('task streaming', async () => {
      const s = await temporal.workflow.getHandle(TASK).query(statusQuery);
      return s.phase === 'incremental' && s.incremental !== null;
    }, 180_000, 500);
    // Writes on ids 1..50 and new rows above 100 000: never the rows differences are injected into.
    loop = startWriteLoop(async (n) => {
      await src.query(`UPDATE rp.items SET body = 'loop ' || $1, n = n + 1 WHERE id = $2`, [n, (n % 50) + 1]);
      await src.query(`INSERT INTO rp.items (id, body, n) VALUES ($1, 'new', $1)`, [100_000 + n]);
      await src.query(`UPDATE rp."Labels" SET "Label" = 'loop ' || $1 WHERE id = $2`, [n, (n % 50) + 1]);
    }, 20);
  });
  after(async () => {
    await loop?.stop();
    await fx?.close();
  });

  it('repairs a changed, a missing and an extra row through the stream under writes; the second look is clean', async () => {
    await dst.query(`
      BEGIN;
      SET LOCAL session_replication_role = replica;
      UPDATE rp.items SET body = 'body 70O' WHERE id = 700;               -- changed
      DELETE FROM rp.items WHERE id = 701;                                -- missing
      INSERT INTO rp.items (id, body, n) VALUES (900000, 'extra', 0);     -- extra
      UPDATE rp.labels SET label = 'label 2O0' WHERE id = 200;            -- renamed column
      UPDATE rp.items SET note = 'x' WHERE id BETWEEN 551 AND 1150;       -- more keys than one control row holds (500)
      COMMIT;`);
    const report = await verify({ repair: true });
    assert.equal(report.state, 'done', JSON.stringify(report, null, 2));
    assert.equal(report.streaming, true);
    assert.ok(report.differences >= 2, `the injected differences are found first: ${JSON.stringify(report.tables)}`);
    const repair = report.repair!;
    assert.ok(repair, 'the report has the repair');
    const items = repair.tables.find((t) => t.table === 'rp.items')!;
    assert.equal(items.through, 'stream');
    assert.equal(items.refused, null, items.refused ?? '');
    assert.equal(items.keys, 600 + 1, JSON.stringify(items)); // 551..1150 (700 and 701 among them) and 900000
    assert.equal(items.shownKeys.length, 20);
    assert.deepEqual(items.reverified, { ranges: items.reverified!.ranges, differing: 0, unsettled: 0, differingKeys: [] });
    const labels = repair.tables.find((t) => t.table === 'rp.Labels')!;
    assert.deepEqual(labels.shownKeys, [['200']]);
    assert.equal(labels.reverified!.differing, 0);
    assert.equal(repair.clean, true, JSON.stringify(repair, null, 2));
    assert.equal(exitCodeOf(report), 0, 'pg-dts verify --repair exits 0');

    // Later changes of repaired keys replicate; once the loop stops, both sides hold the same rows.
    await src.query(`UPDATE rp.items SET body = 'after repair' WHERE id IN (700, 701); UPDATE rp."Labels" SET "Label" = 'after' WHERE id = 200`);
    await loop!.stop();
    loop = undefined;
    const [s, d] = await waitFor('destination = source', async () => {
      const both = await sides();
      return both[0] === both[1] ? both : undefined;
    }, 60_000, 500).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${(await sides()).join('\n')}`);
    });
    assert.equal(s, d);
    const repaired = await dst.query(`SELECT id, body FROM rp.items WHERE id IN (700, 701, 900000) ORDER BY id`);
    assert.deepEqual(repaired.rows, [{ id: 700, body: 'after repair' }, { id: 701, body: 'after repair' }]);
    const status = await waitFor('status counts the repaired keys', async () => {
      const st = await temporal.workflow.getHandle(TASK).query(statusQuery);
      return (st.incremental?.repairedKeys ?? 0) >= 601 + 1 ? st : undefined;
    }, 30_000, 300);
    assert.equal(status.incremental?.ddl?.refused ?? 0, 0, JSON.stringify(status.incremental?.ddl));
  });

  it('refuses to repair a paused task, saying to resume it first', async () => {
    await dst.query(`BEGIN; SET LOCAL session_replication_role = replica; UPDATE rp.items SET body = 'paused' WHERE id = 702; COMMIT;`);
    const handle = temporal.workflow.getHandle(TASK);
    await handle.signal(pauseSignal);
    await waitFor('task paused', async () => (await handle.query(statusQuery)).phase === 'paused', 60_000, 300);
    const report = await verify({ repair: true });
    const items = report.repair!.tables.find((t) => t.table === 'rp.items')!;
    assert.equal(items.keys, 0);
    assert.match(items.refused ?? '', /paused.*Resume the task \(pg-dts resume verify-repair-e2e\), then repair/);
    assert.equal(report.repair!.clean, false);
    assert.equal(exitCodeOf(report), 1);
    // The same through the CLI: the refusal in its text, exit code 1.
    const cli = pgDts(['verify', TASK, '--repair', '--range-rows', '300']);
    assert.equal(cli.status, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /rp\.items: NOT REPAIRED: task verify-repair-e2e is paused: .*Resume the task/);
    assert.match(cli.stdout, /repair incomplete/);
    const row = await dst.query(`SELECT body FROM rp.items WHERE id = 702`);
    assert.equal(row.rows[0].body, 'paused', 'nothing written');
    await handle.signal(resumeSignal);
  });

  it('refuses visibly a repair the destination cannot take, and the stream goes on', async () => {
    const handle = temporal.workflow.getHandle(TASK);
    await waitFor('task streaming again', async () => (await handle.query(statusQuery)).phase === 'incremental', 60_000, 300);
    // Writes keep the stream's applied position moving (an idle source moves it only at the stream's heartbeats).
    loop = startWriteLoop(async (n) => void (await src.query(`UPDATE rp.items SET n = n + 1 WHERE id = $1`, [(n % 50) + 1])), 20);
    const pk = (await dst.query(`SELECT conname FROM pg_constraint WHERE conrelid = 'rp.labels'::regclass AND contype = 'p'`)).rows[0].conname as string;
    await dst.query(`ALTER TABLE rp.labels DROP CONSTRAINT "${pk}"`);
    await dst.query(`BEGIN; SET LOCAL session_replication_role = replica; UPDATE rp.labels SET label = 'broken' WHERE id = 260; COMMIT;`);
    // Rows only: the schema comparison would report the dropped key (and wait to be sure of it).
    const report = await verify({ repair: true, schema: false });
    const byTable = new Map(report.repair!.tables.map((t) => [t.table, t]));
    assert.deepEqual(byTable.get('rp.items')!.shownKeys, [['702']], 'the difference left while paused, repaired now');
    assert.equal(byTable.get('rp.items')!.reverified!.differing, 0);
    assert.equal(byTable.get('rp.Labels')!.reverified!.differing, 1, 'the second look still finds it');
    assert.deepEqual(byTable.get('rp.Labels')!.reverified!.differingKeys, [['260']]);
    assert.equal(report.repair!.clean, false);
    assert.equal(exitCodeOf(report), 1);
    const refusal = await waitFor('the refusal in status', async () =>
      (await handle.query(statusQuery)).incremental?.ddl?.refusals?.find((r) => r.outcome === 'repair-refused'), 30_000, 300);
    assert.match(refusal.detail ?? '', /rp\.labels has no unique index on \(id\)/);
    await src.query(`UPDATE rp.items SET body = 'still streaming' WHERE id = 5`);
    await waitFor('the stream goes on', async () => (await dst.query(`SELECT body FROM rp.items WHERE id = 5`)).rows[0]?.body === 'still streaming', 30_000, 300);
    await dst.query(`ALTER TABLE rp.labels ADD PRIMARY KEY (id)`);
    await loop.stop();
    loop = undefined;
  });

  it('repairs a released task directly on the destination', async () => {
    const handle = temporal.workflow.getHandle(TASK);
    await handle.signal(releaseSignal);
    await handle.result();
    await dst.query(`BEGIN; SET LOCAL session_replication_role = replica; DELETE FROM rp.labels WHERE id = 250; DELETE FROM rp.items WHERE id = 703; COMMIT;`);
    const report = await verify({ repair: true });
    assert.equal(report.streaming, false);
    const byTable = new Map(report.repair!.tables.map((t) => [t.table, t]));
    assert.deepEqual(byTable.get('rp.items')!.shownKeys, [['703']]);
    assert.equal(byTable.get('rp.items')!.through, 'direct');
    assert.deepEqual(byTable.get('rp.Labels')!.shownKeys.map((k) => k[0]).sort(), ['250', '260'], 'the one refused before too');
    assert.equal(report.repair!.clean, true, JSON.stringify(report.repair, null, 2));
    const [s, d] = await sides();
    assert.equal(s, d);
  });
});
