// One end-to-end scenario per (source major, destination major) pair (issue 17): schema + full +
// incremental through Temporal, with INSERT, UPDATE (also of a key), DELETE, TRUNCATE, a partitioned
// table, an ADD COLUMN, pause/resume and release; the destination must equal the source row for row.
// Pairs: PG_DTS_VERSION_PAIRS="11:17,14:15" (or "all": every source with every destination of the same
// or a newer major); CI runs the default below. Missing majors are installed on demand (npm run pg-versions).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { CLUSTER_VERSIONS, installVersion, isClusterVersion, type ClusterVersion } from '../../src/pgcluster/versions';
import { pauseSignal, releaseSignal, resumeSignal, statusQuery, WORKFLOW_TYPE } from '../../workflows/messages';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { openClusterSessions, TEST_PASSWORD, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { pgDts, startWorker, temporalClient } from '../harness/temporal';

const DEFAULT_PAIRS = '11:18,13:16,14:15,16:17,18:18';

function pairs(): [ClusterVersion, ClusterVersion][] {
  const text = process.env.PG_DTS_VERSION_PAIRS ?? DEFAULT_PAIRS;
  if (text === 'all') return CLUSTER_VERSIONS.flatMap((s) => CLUSTER_VERSIONS.filter((d) => d >= s).map((d): [ClusterVersion, ClusterVersion] => [s, d]));
  return text.split(',').map((p) => {
    const [s, d] = p.split(':').map(Number);
    if (!isClusterVersion(s!) || !isClusterVersion(d!)) throw new Error(`PG_DTS_VERSION_PAIRS: "${p}" is not <source major>:<destination major> of ${CLUSTER_VERSIONS.join(', ')}`);
    return [s, d];
  });
}

/** float4/float8 values whose text form needs every digit (PostgreSQL 11 prints 6/15 by default). */
const FLOATS: [string, string][] = [
  ['0.1', '0.1'], ['3.4028235e+38', '1.7976931348623157e+308'], ['1.4e-45', '5e-324'], ['-0', '-0'],
  ['0.33333334', '0.3333333333333333'], ['16777217', '9007199254740993'], ['NaN', 'Infinity'], ['1.0000001', '1.0000000000000002'],
];

const PLAIN_TABLES = { 'shop.customers': 'id', 'shop.orders': 'id' };

const SOURCE_SCHEMA = `
  CREATE SCHEMA shop;
  CREATE TABLE shop.customers (id serial PRIMARY KEY, name text NOT NULL, email text);
  CREATE TABLE shop.orders (id bigint PRIMARY KEY, customer_id int NOT NULL, amount numeric(12,2), note text,
                            created_at timestamptz NOT NULL DEFAULT '2026-01-01');
  CREATE INDEX ON shop.orders (customer_id);
  INSERT INTO shop.customers (name, email) SELECT 'c' || g, 'c' || g || '@example.com' FROM generate_series(1, 200) g;
  INSERT INTO shop.orders (id, customer_id, amount, note) SELECT g, 1 + g % 200, g * 1.5, CASE WHEN g % 7 = 0 THEN NULL ELSE repeat('n', g % 30) END FROM generate_series(1, 2000) g;
  CREATE TABLE shop.measures (id int PRIMARY KEY, f4 real, f8 double precision);
  INSERT INTO shop.measures VALUES ${FLOATS.map(([f4, f8], i) => `(${i + 1}, '${f4}', '${f8}')`).join(', ')};
`;

const PARTITIONED_SCHEMA = `
  CREATE TABLE shop.events (id bigint NOT NULL, at date NOT NULL, payload text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
  CREATE TABLE shop.events_2026_01 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
  CREATE TABLE shop.events_2026_02 PARTITION OF shop.events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
  INSERT INTO shop.events SELECT g, DATE '2026-01-01' + (g % 59), 'p' || g FROM generate_series(1, 1000) g;
`;

for (const [sourceVersion, destinationVersion] of pairs()) {
  describe(`PostgreSQL ${sourceVersion} → ${destinationVersion}`, () => {
    const task = `e2e-versions-${sourceVersion}-${destinationVersion}`;
    const queue = `pg-dts-${task}`;
    let cs: ClusterSessions;
    let temporal: Client;
    const TABLES: Record<string, string> = { ...PLAIN_TABLES, 'shop.events': 'id, at' };
    const status = () => temporal.workflow.getHandle(task).query(statusQuery);

    before(async () => {
      installVersion(sourceVersion);
      installVersion(destinationVersion);
      cs = await openClusterSessions({ source: sourceVersion, destination: destinationVersion });
      temporal = await temporalClient();
      startWorker({ PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD }, queue);
      await cs.src.query(SOURCE_SCHEMA);
      await cs.src.query(PARTITIONED_SCHEMA);
    });
    after(async () => cs?.close());

    it('schema and full sync copy every row', async () => {
      const spec = clusterSpec(cs.pg, task, { objects: [{ schema: 'shop' }] });
      await temporal.workflow.start(WORKFLOW_TYPE, { taskQueue: queue, workflowId: task, args: [spec] });
      await waitFor('the task streams', async () => (await status()).phase === 'incremental', 120_000, 500);
      await waitForConvergence(cs.src, cs.dst, TABLES, 60_000);
    });

    it('copies and streams float4/float8 bit for bit', async () => {
      const offset = FLOATS.length;
      await cs.src.query(`INSERT INTO shop.measures VALUES ${FLOATS.map(([f4, f8], i) => `(${offset + i + 1}, '${f4}', '${f8}')`).join(', ')}`);
      await cs.src.query(`UPDATE shop.measures SET f8 = f8 / 3, f4 = f4 / 3 WHERE id <= 2`);
      const bits = async (db: typeof cs.src): Promise<string> =>
        JSON.stringify((await db.query(`SELECT id, float4send(f4)::text AS a, float8send(f8)::text AS b FROM shop.measures ORDER BY id`)).rows);
      const expected = await bits(cs.src);
      await waitFor('the same float bits on the destination', async () => (await bits(cs.dst)) === expected, 60_000, 250)
        .catch(async (err) => assert.fail(`${(err as Error).message}\nsource ${expected}\ndestination ${await bits(cs.dst)}`));
    });

    it('streams INSERT, UPDATE (also of a key), DELETE and TRUNCATE', async () => {
      await cs.src.query(`INSERT INTO shop.customers (name) VALUES ('new one')`);
      await cs.src.query(`UPDATE shop.orders SET amount = amount + 1, note = 'updated' WHERE id % 10 = 0`);
      await cs.src.query(`UPDATE shop.customers SET id = id + 10000 WHERE id = 5`);
      await cs.src.query(`DELETE FROM shop.orders WHERE id BETWEEN 100 AND 199`);
      await cs.src.query(`BEGIN; TRUNCATE shop.orders; INSERT INTO shop.orders (id, customer_id) SELECT g, g FROM generate_series(1, 50) g; COMMIT`);
      await waitForConvergence(cs.src, cs.dst, TABLES, 60_000);
    });

    it('copies and streams a partitioned table: rows into partitions, a row moving between them, one partition truncated, next month\'s partition created', async () => {
      await cs.src.query(`INSERT INTO shop.events VALUES (5000, '2026-02-15', 'feb'), (5001, '2026-01-02', 'jan')`);
      await cs.src.query(`UPDATE shop.events SET at = '2026-02-03' WHERE id = 3`); // moves between partitions
      // Next month's partition, created while streaming, takes rows in the same transaction.
      await cs.src.query(`BEGIN; CREATE TABLE shop.events_2026_03 PARTITION OF shop.events FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
                          INSERT INTO shop.events VALUES (7000, '2026-03-05', 'march'); COMMIT`);
      await cs.src.query(`INSERT INTO shop.events VALUES (7001, '2026-03-06', 'march, later')`);
      await cs.src.query(`BEGIN; TRUNCATE shop.events_2026_01; INSERT INTO shop.events VALUES (6000, '2026-01-20', 'after truncate'); COMMIT`);
      await waitForConvergence(cs.src, cs.dst, TABLES, 60_000);
    });

    it('replicates an ADD COLUMN and the rows that fill it', async () => {
      await cs.src.query(`BEGIN; ALTER TABLE shop.customers ADD COLUMN tier text; UPDATE shop.customers SET tier = 'gold' WHERE id < 20; COMMIT`);
      await cs.src.query(`INSERT INTO shop.customers (name, tier) VALUES ('tiered', 'silver')`);
      await waitFor('tier on the destination', async () => {
        const r = await cs.dst.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = 'shop' AND table_name = 'customers' AND column_name = 'tier'`);
        return r.rowCount === 1;
      }, 60_000);
      await waitForConvergence(cs.src, cs.dst, TABLES, 60_000);
    });

    it('an idle stream keeps its slot moving and its lag small (heartbeats)', async () => {
      const target = (await cs.src.query<{ l: string }>(`SELECT pg_current_wal_lsn()::text AS l`)).rows[0]!.l;
      await waitFor('the slot confirmed past the WAL written before', async () => (await cs.src.query(
        `SELECT 1 FROM pg_replication_slots WHERE slot_type = 'logical' AND confirmed_flush_lsn >= $1::pg_lsn`, [target])).rowCount === 1, 30_000, 500);
      const s = await status();
      assert.ok(s.incremental && s.incremental.lagSeconds < 10, `lag ${s.incremental?.lagSeconds} s`);
    });

    it('pg-dts verify finds rows and schema equal', async () => {
      const run = pgDts(['verify', task, '--mode', 'checksum'], { PG_DTS_TASK_QUEUE: queue });
      assert.equal(run.status, 0, `verify exit code ${run.status}:\n${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /no difference/);
    });

    it('pauses, resumes, and is released with nothing left on the source', async () => {
      const handle = temporal.workflow.getHandle(task);
      await handle.signal(pauseSignal);
      await waitFor('paused', async () => (await status()).paused, 60_000);
      await cs.src.query(`INSERT INTO shop.orders (id, customer_id, amount) SELECT g, 1, 1 FROM generate_series(10001, 10100) g`);
      await handle.signal(resumeSignal);
      await waitForConvergence(cs.src, cs.dst, TABLES, 60_000);
      await handle.signal(releaseSignal);
      await handle.result();
      const slots = await cs.src.query(`SELECT slot_name FROM pg_replication_slots`);
      assert.deepEqual(slots.rows, [], 'no slot left on the source');
      const pubs = await cs.src.query(`SELECT pubname FROM pg_publication`);
      assert.deepEqual(pubs.rows, [], 'no publication left on the source');
    });
  });
}
