// `pg-dts verify`'s schema section end to end through Temporal on real clusters. A task syncs a schema
// selected whole (enum, serial, identity, generated column, CHECK, FK, partial and expression indexes, a
// partitioned table with a partitioned index, a function, a trigger, a view, a materialized view, a
// standalone sequence) and a mapped table list (renamed table and column, an excluded column with a
// CHECK and an index on it left out by schema sync); migrations replicated while it streams. The
// verification reports the schema clean. Then the destination drifts — an index dropped, a default and a
// column type changed, a view dropped, a CHECK and a column added — and each is reported with its table,
// object and kind, in the JSON report, the text report and the workflow's status query, exit code 1; a
// migration the stream holds back while a verification runs is not reported (the re-check rule);
// `--no-schema` compares rows only. The task also syncs the realistic application schema of
// test/harness/app-schema-fixture.ts, with its migrations (those that copy no table again) replicated:
// no false difference there either.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { SchemaDifference } from '../../src/verify/schema-types';
import type { VerifyReport } from '../../src/verify/types';
import { verifyStatusQuery } from '../../workflows/verify-messages';
import { statusQuery } from '../../workflows/messages';
import { APP_SCHEMA, CHURN } from '../harness/app-schema-fixture';
import { waitFor } from '../harness/checksum';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { WORKER_ENV } from '../harness/sample-fixture';
import { clusterSpec, startTask } from '../harness/task-spec-file';
import { pgDts, startWorker, temporalClient } from '../harness/temporal';

const TASK = 'verify-schema-e2e';

const SOURCE_SCHEMA = `
  CREATE SCHEMA vs;
  CREATE TYPE vs.mood AS ENUM ('ok', 'bad');
  CREATE TABLE vs.items (
    id serial PRIMARY KEY, name text NOT NULL, qty int NOT NULL DEFAULT 1, mood vs.mood DEFAULT 'ok',
    price numeric(10,2) CONSTRAINT price_not_negative CHECK (price >= 0),
    name_len int GENERATED ALWAYS AS (length(name)) STORED, updated_at timestamptz);
  CREATE INDEX items_lower_name ON vs.items (lower(name));
  CREATE INDEX items_in_stock ON vs.items (qty) WHERE qty > 0;
  CREATE TABLE vs.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, item int NOT NULL REFERENCES vs.items (id), at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE vs.log (id int NOT NULL, at date NOT NULL, msg text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
  CREATE TABLE vs.log_2024 PARTITION OF vs.log FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE TABLE vs.log_2025 PARTITION OF vs.log FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  CREATE INDEX log_msg ON vs.log (msg);
  CREATE SEQUENCE vs.tickets INCREMENT 5 START 100;
  CREATE FUNCTION vs.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
  CREATE TRIGGER items_touch BEFORE UPDATE ON vs.items FOR EACH ROW EXECUTE FUNCTION vs.touch();
  CREATE VIEW vs.item_names AS SELECT id, name FROM vs.items WHERE qty > 0;
  CREATE MATERIALIZED VIEW vs.totals AS SELECT count(*) AS n, sum(qty) AS q FROM vs.items;
  INSERT INTO vs.items (name, qty, price) SELECT 'item ' || g, g % 7, g FROM generate_series(1, 200) g;
  INSERT INTO vs.events (item) SELECT g FROM generate_series(1, 50) g;
  INSERT INTO vs.log SELECT g, date '2024-06-01' + g, 'm' || g FROM generate_series(1, 300) g;

  CREATE SCHEMA vm;
  CREATE TABLE vm."Accounts" (
    id int PRIMARY KEY, "Owner" text NOT NULL, balance numeric NOT NULL DEFAULT 0 CHECK (balance >= 0), secret text,
    CONSTRAINT owner_not_empty CHECK ("Owner" <> ''), CONSTRAINT secret_short CHECK (length(secret) < 40));
  CREATE INDEX accounts_rich_owner ON vm."Accounts" (lower("Owner")) WHERE balance > 100;
  CREATE INDEX accounts_secret ON vm."Accounts" (secret);
  CREATE TABLE vm.transfers (id int PRIMARY KEY, account int REFERENCES vm."Accounts" (id), amount int NOT NULL);
  INSERT INTO vm."Accounts" SELECT g, 'owner ' || g, g * 10, 's' || g FROM generate_series(1, 100) g;
  INSERT INTO vm.transfers SELECT g, g % 100 + 1, g FROM generate_series(1, 100) g;`;

function verify(args: string[]): { status: number; report: VerifyReport; stdout: string; stderr: string } {
  const run = pgDts(['verify', TASK, '--json', '--mode', 'count', ...args]);
  assert.ok(run.stdout.trim().startsWith('{'), `${run.stdout}\n${run.stderr}`);
  return { ...run, report: JSON.parse(run.stdout) as VerifyReport };
}

/** Every schema difference as "table: object kind" (objects under "objects:"). */
const listed = (r: VerifyReport): string[] => [
  ...r.schema!.tables.flatMap((t) => t.differences.map((d) => `${t.table}: ${d.object} ${d.kind}`)),
  ...r.schema!.objects.map((d) => `objects: ${d.object} ${d.kind}`),
].sort();

describe('pg-dts verify: schema', () => {
  let fx: ClusterSessions;
  let temporal: Client;

  before(async () => {
    fx = await openClusterSessions();
    await fx.src.query(SOURCE_SCHEMA);
    await fx.src.query(APP_SCHEMA);
    startWorker(WORKER_ENV);
    temporal = await temporalClient();
    startTask(clusterSpec(fx.pg, TASK, {
      objects: [
        { schema: 'app' },
        { schema: 'vs' },
        { schema: 'vm', tables: [{ name: 'Accounts', rename: 'accounts_v2', columns: { Owner: 'owner_name' }, excludeColumns: ['secret'] }, 'transfers'] },
      ],
    }));
    await waitFor('task streaming', async () => {
      const s = await temporal.workflow.getHandle(TASK).query(statusQuery);
      return s.phase === 'incremental' && s.incremental !== null;
    }, 120_000, 500);
  });
  after(async () => {
    await fx?.close();
  });

  it('a freshly synced task, and migrations replicated while it streams, verify clean', async () => {
    await fx.src.query(`
      ALTER TABLE vs.items ADD COLUMN color text;
      CREATE INDEX items_color ON vs.items (color) WHERE color IS NOT NULL;
      ALTER TABLE vm."Accounts" ADD CONSTRAINT balance_cap CHECK (balance < 1e9);
      CREATE INDEX accounts_balance ON vm."Accounts" (balance);`);
    for (const step of CHURN.filter((s) => !s.recopies)) {
      await fx.src.query(step.sql).catch((err: Error) => { throw new Error(`${step.what}: ${err.message}`); });
    }
    await fx.src.query(`INSERT INTO app.schema_migrations VALUES ('verify-schema-marker')`);
    await waitFor('the migrations applied', async () =>
      (await fx.dst.query(`SELECT 1 FROM app.schema_migrations WHERE version = 'verify-schema-marker'`)).rowCount === 1, 60_000, 250);

    const { status, report, stderr } = verify([]);
    assert.equal(report.schema?.differences, 0, JSON.stringify(report.schema, null, 2));
    assert.equal(status, 0, stderr);
    const c = report.schema!.compared;
    // vs: items, events, log and its two partitions; vm: accounts, transfers; app: 7 tables and audit_log's
    // partitions as the migrations left them (3 created with it, one created, one attached, one detached and dropped).
    assert.equal(c.tables, 18, JSON.stringify(c));
    assert.ok(c.columns >= 80 && c.constraints >= 30 && c.indexes >= 15, JSON.stringify(c));
    // vs: function, trigger, view, materialized view; app: 6 functions, an aggregate, 4 triggers, a view, a materialized view.
    assert.equal(c.objects, 17, JSON.stringify(c));
    assert.ok(c.sequences >= 9, `serial, identity, standalone: ${c.sequences}`);
  });

  it('a migration the stream has not applied yet is no difference: re-checked once the stream applied it', async () => {
    // The applier's CREATE INDEX (SHARE lock) waits for this transaction (ROW EXCLUSIVE): the migration is
    // held in the stream, while reads of the table and its catalog (ACCESS SHARE) go on.
    await fx.dst.query('BEGIN; LOCK TABLE vs.events IN ROW EXCLUSIVE MODE');
    await fx.src.query('CREATE INDEX events_at ON vs.events (at)');
    await waitFor('the replicated CREATE INDEX waiting for its lock', async () =>
      (await fx.dst.query(`SELECT 1 FROM pg_locks WHERE relation = 'vs.events'::regclass AND NOT granted`)).rowCount! > 0, 30_000, 100);
    const handle = await temporal.workflow.start('verifyTask', { taskQueue: 'pg-dts', workflowId: `${TASK}-in-flight`, args: [{ task: TASK, mode: 'count' }] });
    await waitFor('the schema comparison started', async () => (await handle.query(verifyStatusQuery)).state === 'comparing', 30_000, 100);
    await new Promise((r) => setTimeout(r, 3000)); // its first look finds the index missing on the destination
    await fx.dst.query('COMMIT');
    const report = (await handle.result()) as VerifyReport;
    assert.equal(report.schema?.differences, 0, JSON.stringify(report.schema, null, 2));
    assert.equal(report.schema?.unsettled, undefined);
    assert.ok(report.schema!.durationMs >= 2500, `it waited for the stream: ${report.schema!.durationMs} ms`);
    assert.equal(report.differences, 0);
    assert.equal((await fx.dst.query(`SELECT 1 FROM pg_indexes WHERE schemaname = 'vs' AND indexname = 'events_at'`)).rowCount, 1);
  });

  it('reports each drift on the destination with its table, object and kind; exit code 1', async () => {
    await fx.dst.query(`
      DROP INDEX vs.items_in_stock;
      ALTER TABLE vs.items ALTER COLUMN qty SET DEFAULT 2;
      ALTER TABLE vs.items ADD COLUMN note text;
      ALTER TABLE vm.transfers ALTER COLUMN amount TYPE bigint;
      DROP VIEW vs.item_names;
      ALTER TABLE vm.accounts_v2 ADD CONSTRAINT owner_short CHECK (length(owner_name) < 100);`);
    const { status, report, stdout } = verify([]);
    assert.equal(status, 1, stdout);
    assert.deepEqual(listed(report), [
      'objects: view vs.item_names missing',
      'vm.Accounts: constraint owner_short extra',
      'vm.transfers: column amount different',
      'vs.items: column note extra',
      'vs.items: column qty different',
      'vs.items: index items_in_stock missing',
    ], JSON.stringify(report.schema, null, 2));
    const find = (table: string, object: string): SchemaDifference => report.schema!.tables.find((t) => t.table === table)!.differences.find((d) => d.object === object)!;
    assert.deepEqual(find('vm.transfers', 'column amount'), { object: 'column amount', kind: 'different', source: 'integer NOT NULL', destination: 'bigint NOT NULL' });
    assert.deepEqual(find('vs.items', 'column qty'), { object: 'column qty', kind: 'different', source: 'integer DEFAULT 1 NOT NULL', destination: 'integer DEFAULT 2 NOT NULL' });
    assert.equal(find('vs.items', 'index items_in_stock').source, 'CREATE INDEX ON vs.items USING btree (qty) WHERE (qty > 0)');
    assert.match(find('vm.Accounts', 'constraint owner_short').destination!, /CHECK \(\(length\(owner_name\) < 100\)\)/);
    assert.equal(report.schema!.tables.find((t) => t.table === 'vm.Accounts')!.target, 'vm.accounts_v2');
    assert.equal(report.differences, 6, 'rows are equal: the schema differences are the report\'s');
    assert.equal(report.differingTables, 3);

    // The text report, and the verification's status query (the workflow id is on stderr).
    const text = pgDts(['verify', TASK, '--mode', 'count']);
    assert.equal(text.status, 1, text.stdout + text.stderr);
    assert.match(text.stdout, /DIFFERS\s+schema: 6 difference\(s\)/);
    assert.match(text.stdout, /vm\.transfers -> vm\.transfers:\n\s+different column amount: source integer NOT NULL; destination bigint NOT NULL/);
    assert.match(text.stdout, /missing\s+view vs\.item_names: source CREATE OR REPLACE VIEW "vs"\."item_names" AS SELECT id, name FROM vs\.items/);
    assert.match(text.stdout, /3 table\(s\) differ \(6 schema difference\(s\)\)/);
    const workflowId = /workflow (\S+)/.exec(text.stderr)?.[1];
    assert.ok(workflowId, text.stderr);
    const status2 = await temporal.workflow.getHandle(workflowId).query(verifyStatusQuery);
    assert.equal(status2.schema?.differences, 6);

    // Rows only: nothing differs.
    const rowsOnly = verify(['--no-schema']);
    assert.equal(rowsOnly.status, 0, rowsOnly.stdout);
    assert.equal(rowsOnly.report.schema, undefined);
  });
});
