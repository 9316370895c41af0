// DDL replication through real tasks: every replicated statement, checked by the destination's table
// definition and by data written before and after it; every refusal case, visible in status and harmless
// to the stream; a DDL the destination refuses fails the task after the "other issues" window; and two
// tasks on one source, with different selections, each applying only their own DDL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const MAIN = 'ddl-main';
const OTHER = 'ddl-other';
const FRAGILE = 'ddl-fragile';
const SOURCE = `
  CREATE SCHEMA app;
  CREATE TABLE app.items (id int PRIMARY KEY, name text);
  CREATE TABLE app.side (id int PRIMARY KEY, a int CONSTRAINT side_a_check CHECK (a >= 0), b int);
  CREATE SCHEMA listed;
  CREATE TABLE listed.kept (id int PRIMARY KEY, v text);
  CREATE SCHEMA other;
  CREATE TABLE other.t (id int PRIMARY KEY, v text);
  CREATE SCHEMA fragile;
  CREATE TABLE fragile.t (id int PRIMARY KEY);
  INSERT INTO app.items VALUES (1, 'one'), (2, 'two');
  INSERT INTO app.side VALUES (1, 1, 1);
  INSERT INTO other.t VALUES (1, 'x');`;

describe('DDL replication', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  const status = (task: string) => temporal.workflow.getHandle(task).query(statusQuery);
  /** The destination's definition of a table: columns with types, defaults, nullability; constraints; indexes. */
  const definition = async (table: string): Promise<{ columns: string[]; constraints: string[]; indexes: string[] }> => {
    const columns = await cs.dst.query(
      `SELECT attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END
              || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS c
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [table]);
    const constraints = await cs.dst.query(`SELECT conname || ' ' || pg_get_constraintdef(oid) AS c FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY 1`, [table]);
    const indexes = await cs.dst.query(`SELECT indexdef AS c FROM pg_indexes WHERE format('%I.%I', schemaname, tablename)::regclass = $1::regclass ORDER BY 1`, [table]);
    return { columns: columns.rows.map((r) => r.c), constraints: constraints.rows.map((r) => r.c), indexes: indexes.rows.map((r) => r.c) };
  };
  /** Source and destination hold the same rows (destination names may differ: compare row texts). */
  const sameRows = (src: string, dst: string, order = 'id'): Promise<unknown> =>
    waitFor(`${dst} = ${src}`, async () => {
      const a = (await cs.src.query(`SELECT t::text AS r FROM ${src} t ORDER BY ${order}`)).rows.map((r) => r.r);
      const b = (await cs.dst.query(`SELECT t::text AS r FROM ${dst} t ORDER BY ${order}`).catch(() => ({ rows: [] as { r: string }[] }))).rows.map((r) => r.r);
      return JSON.stringify(a) === JSON.stringify(b);
    }, 60_000, 200);
  const refusals = async (task: string, reason: string): Promise<number> => (await status(task)).incremental?.ddl?.refusedBy[reason] ?? 0;
  const waitRefused = (task: string, reason: string, atLeast: number) =>
    waitFor(`${task}: ${atLeast} refusal(s) ${reason}`, async () => (await refusals(task, reason)) >= atLeast, 30_000, 200);

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(SOURCE);
    temporal = await temporalClient();
    startWorker(WORKER_ENV);
    startWorker({ ...WORKER_ENV, PG_DTS_OTHER_WINDOW_SECONDS: '5' }, 'pg-dts-short-window');
    const start = async (task: string, objects: unknown, taskQueue = 'pg-dts') => {
      await temporal.workflow.start('syncTask', { taskQueue, workflowId: task, args: [clusterSpec(cs.pg, task, { objects })] });
    };
    await start(MAIN, [{ schema: 'app', rename: 'app_copy' }, { schema: 'listed', tables: ['kept'] }]);
    await start(OTHER, [{ schema: 'other', rename: 'other_b' }]);
    await start(FRAGILE, [{ schema: 'fragile' }], 'pg-dts-short-window');
    for (const task of [MAIN, OTHER, FRAGILE]) {
      await waitFor(`${task} streaming`, async () => (await status(task)).phase === 'incremental', 180_000, 200);
    }
  });
  after(() => cs?.close());

  it('ADD COLUMN, ADD COLUMN … DEFAULT, ALTER COLUMN … TYPE, ADD CONSTRAINT CHECK, DROP DEFAULT, with rows before and after', async () => {
    await cs.src.query(`INSERT INTO app.items VALUES (3, 'three')`);
    await cs.src.query(`ALTER TABLE app.items ADD COLUMN qty int`);
    await cs.src.query(`INSERT INTO app.items VALUES (4, 'four', 4); UPDATE app.items SET qty = 1 WHERE id = 1`);
    await cs.src.query(`ALTER TABLE app.items ADD COLUMN status text NOT NULL DEFAULT 'new'`);
    await cs.src.query(`INSERT INTO app.items (id, name, qty) VALUES (5, 'five', 5); UPDATE app.items SET status = 'old' WHERE id = 2`);
    await cs.src.query(`ALTER TABLE app.items ALTER COLUMN qty TYPE bigint`);
    await cs.src.query(`INSERT INTO app.items VALUES (6, 'six', 6000000000, 'big')`);
    await cs.src.query(`UPDATE app.items SET qty = 1 WHERE qty IS NULL`); // its own transaction: rows and DDL together are refused
    await cs.src.query(`ALTER TABLE app.items ADD CONSTRAINT qty_positive CHECK (qty > 0)`);
    await cs.src.query(`ALTER TABLE app.items ALTER COLUMN status DROP DEFAULT`);
    await cs.src.query(`INSERT INTO app.items VALUES (7, 'seven', 7, 'explicit')`);
    await sameRows('app.items', 'app_copy.items');
    assert.deepEqual(await definition('app_copy.items'), {
      columns: ['id integer not null', 'name text', 'qty bigint', 'status text not null'],
      constraints: ['items_pkey PRIMARY KEY (id)', 'qty_positive CHECK ((qty > 0))'],
      indexes: ['CREATE UNIQUE INDEX items_pkey ON app_copy.items USING btree (id)'],
    });
  });

  it('RENAME COLUMN, DROP COLUMN, CREATE INDEX and ALTER TABLE … RENAME TO', async () => {
    await cs.src.query(`ALTER TABLE app.items RENAME COLUMN name TO title`);
    await cs.src.query(`INSERT INTO app.items VALUES (8, 'eight', 8, 's')`);
    await cs.src.query(`ALTER TABLE app.items DROP COLUMN qty`);
    await cs.src.query(`INSERT INTO app.items VALUES (9, 'nine', 's'); UPDATE app.items SET title = 'ONE' WHERE id = 1`);
    await cs.src.query(`CREATE INDEX items_title_idx ON app.items (lower(title)) WHERE status <> 'old'`);
    await cs.src.query(`ALTER TABLE app.items RENAME TO goods`);
    await cs.src.query(`INSERT INTO app.goods VALUES (10, 'ten', 's'); DELETE FROM app.goods WHERE id = 2`);
    await sameRows('app.goods', 'app_copy.goods');
    assert.deepEqual(await definition('app_copy.goods'), {
      columns: ['id integer not null', 'title text', 'status text not null'],
      constraints: ['items_pkey PRIMARY KEY (id)'],
      indexes: [
        'CREATE INDEX items_title_idx ON app_copy.goods USING btree (lower(title)) WHERE (status <> \'old\'::text)',
        'CREATE UNIQUE INDEX items_pkey ON app_copy.goods USING btree (id)',
      ],
    });
    assert.equal((await cs.dst.query(`SELECT to_regclass('app_copy.items') AS r`)).rows[0].r, null);
  });

  it('CREATE TABLE in a schema selected whole is synced from its first row (same transaction); TRUNCATE; DROP TABLE', async () => {
    // One query string with several statements: the fired CREATE TABLE is found among them.
    await cs.src.query(`CREATE TABLE app."Fresh" (id int PRIMARY KEY, v text DEFAULT 'd'); INSERT INTO app."Fresh" VALUES (1, 'first'); INSERT INTO app.side VALUES (2, 2, 2)`);
    await cs.src.query(`INSERT INTO app."Fresh" (id) VALUES (2); UPDATE app."Fresh" SET v = 'second' WHERE id = 2`);
    await sameRows('app."Fresh"', 'app_copy.fresh');
    assert.deepEqual((await definition('app_copy.fresh')).columns, ['id integer not null', "v text default 'd'::text"]);
    const published = await cs.src.query(`SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND tablename = 'Fresh'`, [(await status(MAIN)).publication]);
    assert.equal(published.rowCount, 1, 'the new table joined the publication');

    await cs.src.query(`TRUNCATE app.goods; INSERT INTO app.goods VALUES (100, 'after truncate', 's')`);
    await sameRows('app.goods', 'app_copy.goods');
    await cs.src.query(`DROP TABLE app."Fresh"; INSERT INTO app.side VALUES (3, 3, 3)`);
    await sameRows('app.side', 'app_copy.side');
    assert.equal((await cs.dst.query(`SELECT to_regclass('app_copy.fresh') AS r`)).rows[0].r, null, 'dropped on the destination');
    // Status is reported every few seconds: wait for the count to include everything so far.
    await waitFor('DDL count in status', async () => ((await status(MAIN)).incremental?.ddl?.applied ?? 0) >= 11, 30_000, 250);
  });

  it('refuses CASCADE/RESTRICT, replica-role sessions, DDL in functions, DDL after rows in its transaction, unselected objects and unsupported DDL — visibly, and keeps streaming', async () => {
    await cs.src.query(`ALTER TABLE app.side DROP COLUMN b CASCADE`);
    await waitRefused(MAIN, 'cascade-or-restrict', 1);
    await cs.src.query(`ALTER TABLE app.side DROP CONSTRAINT side_a_check RESTRICT`);
    await waitRefused(MAIN, 'cascade-or-restrict', 2);
    await cs.src.query(`SET session_replication_role = replica; ALTER TABLE app.side ADD COLUMN c int; RESET session_replication_role`);
    await waitRefused(MAIN, 'replica-role', 1);
    await cs.src.query(`DO $$ BEGIN ALTER TABLE app.side ADD COLUMN d int; END $$`);
    await waitRefused(MAIN, 'in-function', 1);
    await cs.src.query(`BEGIN; INSERT INTO app.side VALUES (4, 4); ALTER TABLE app.side ADD COLUMN e int; COMMIT`);
    await waitRefused(MAIN, 'mixed-with-rows', 1);
    await cs.src.query(`ALTER TABLE other.t ADD COLUMN extra int; CREATE TABLE listed.newone (id int PRIMARY KEY)`);
    await waitRefused(MAIN, 'outside-selection', 2);
    await cs.src.query(`CREATE VIEW app.v AS SELECT 1 AS one`);
    await waitRefused(MAIN, 'unsupported', 1);

    // Rows keep flowing; columns the destination lacks (refused ADD COLUMN) are left out and named.
    await cs.src.query(`INSERT INTO app.side (id, a, c, d, e) VALUES (5, 5, 50, 500, 5000)`);
    await waitFor('row 5', async () => (await cs.dst.query('SELECT 1 FROM app_copy.side WHERE id = 5')).rowCount === 1, 30_000, 200);
    assert.deepEqual((await definition('app_copy.side')).columns, ['id integer not null', 'a integer', 'b integer'], 'refused statements changed nothing');
    assert.deepEqual((await definition('app_copy.side')).constraints, ['side_a_check CHECK ((a >= 0))', 'side_pkey PRIMARY KEY (id)']);
    const s = await waitFor('columns left out in status', async () => {
      const now = await status(MAIN);
      return (now.incremental?.ignoredColumns?.length ?? 0) >= 3 ? now : undefined;
    }, 30_000, 250);
    assert.deepEqual(s.incremental?.ignoredColumns?.sort(), ['app.side.c', 'app.side.d', 'app.side.e']);
    assert.ok(s.incremental?.ddl?.recent.some((d) => d.outcome === 'in-function' && /ADD COLUMN d/.test(d.statement)));
    assert.equal(s.incremental?.missingRows, 0);
  });

  it('two tasks on one source apply only the DDL of their own selection', async () => {
    await cs.src.query(`INSERT INTO other.t VALUES (2, 'y', 2)`);
    await sameRows('other.t', 'other_b.t');
    assert.deepEqual((await definition('other_b.t')).columns, ['id integer not null', 'v text', 'extra integer']);
    assert.equal((await cs.dst.query(`SELECT to_regnamespace('other') AS r`)).rows[0].r, null, 'the main task created nothing of schema other');
    assert.equal((await status(OTHER)).incremental?.ddl?.applied, 1, 'the other task applied exactly its one statement');
    await waitForConvergence(cs.src, cs.dst, { 'listed.kept': 'id' }, 30_000);
  });

  it('a DDL the destination refuses is retried for the "other issues" window, then fails the task with the statement and the error', async () => {
    await cs.dst.query(`ALTER TABLE fragile.t ADD COLUMN z text`); // someone changed the destination by hand
    await cs.src.query(`ALTER TABLE fragile.t ADD COLUMN z int`);
    const err = await temporal.workflow.getHandle(FRAGILE).result().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError, 'the task failed');
    const cause = (err as WorkflowFailedError).cause as Error & { cause?: Error };
    const text = `${cause?.message} ${cause?.cause?.message}`;
    assert.match(text, /ALTER TABLE fragile\.t ADD (COLUMN )?z int/i);
    assert.match(text, /column "z" of relation "t" already exists/);
    assert.match(text, /over retry\.otherMinutes/);
  });
});
