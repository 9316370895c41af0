// DDL and rows of one transaction come out of the stream in the order the transaction ran them (issue 15,
// item 1). The capture used to be a logical message written inside the trigger's subtransaction and decoded
// at its END LSN, which is the start LSN of the next record: a row change that directly followed the ALTER
// in the WAL could be decoded first, and the ALTER was refused as `mixed-with-rows` (a Rails migration:
// `ALTER TABLE merge_requests ADD COLUMN ...` then `INSERT INTO schema_migrations ...`). The capture is now a
// row of the task's capture table, a heap insert with its own start LSN. These tests write that WAL layout
// (nothing between the ALTER's capture and the next insert) many times and check every ALTER is applied.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { clusterSpec } from '../harness/task-spec-file';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const TASK = 'ddlorder';
const ITERATIONS = 40;
const TABLES = { 'app.merge_requests': 'id', 'app.schema_migrations': 'version' };
const SOURCE = `
  CREATE SCHEMA app;
  CREATE TABLE app.merge_requests (id int PRIMARY KEY, title text);
  CREATE TABLE app.schema_migrations (version text PRIMARY KEY);
  INSERT INTO app.merge_requests SELECT g, 'mr ' || g FROM generate_series(1, 20) g;
  INSERT INTO app.schema_migrations VALUES ('0');`;

describe('DDL and rows of one transaction, in order whatever the WAL layout', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  const status = () => temporal.workflow.getHandle(TASK).query(statusQuery);
  const destinationColumns = async (): Promise<string[]> =>
    (await cs.dst.query(`SELECT attname FROM pg_attribute WHERE attrelid = 'app.merge_requests'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`)).rows.map((r) => r.attname as string);
  /** Waits until status counts `n` DDL statements (applied or refused), then returns the DDL stats. */
  const ddlStatsAfter = (n: number) => waitFor(`${n} DDL statements in status`, async () => {
    const ddl = (await status()).incremental?.ddl;
    return ddl && ddl.applied + Object.values(ddl.refusedBy).reduce((a, b) => a + b, 0) >= n && ddl;
  }, 60_000, 250);

  before(async () => {
    cs = await openClusterSessions();
    await cs.src.query(SOURCE);
    temporal = await temporalClient();
    startWorker(WORKER_ENV);
    await temporal.workflow.start('syncTask', { taskQueue: 'pg-dts', workflowId: TASK, args: [clusterSpec(cs.pg, TASK, { objects: [{ schema: 'app' }] })] });
    await waitFor('task streaming', async () => (await status()).phase === 'incremental', 180_000, 200);
  });
  after(async () => {
    await cs?.close();
  });

  it(`applies every migration-style ALTER ... ADD COLUMN ... DEFAULT followed by INSERTs in its transaction (${ITERATIONS} times)`, async () => {
    for (let i = 1; i <= ITERATIONS; i++) {
      const alter = `ALTER TABLE app.merge_requests ADD COLUMN c${i} integer DEFAULT ${i}`;
      const mr = `INSERT INTO app.merge_requests (id, title, c${i}) VALUES (${1000 + i}, 'added with c${i}', ${i * 10})`;
      const migration = `INSERT INTO app.schema_migrations VALUES ('${i}')`;
      if (i % 2) {
        // One query string (one client message): the ALTER's capture, then at once the insert into the
        // altered table, then another selected table.
        await cs.src.query(`BEGIN; ${alter}; ${mr}; ${migration}; COMMIT`);
      } else {
        // Rails: one statement per round trip; the insert into schema_migrations directly follows the ALTER.
        await cs.src.query('BEGIN');
        await cs.src.query(alter);
        await cs.src.query(migration);
        await cs.src.query(mr);
        await cs.src.query('COMMIT');
      }
    }
    const ddl = await ddlStatsAfter(ITERATIONS);
    assert.deepEqual(ddl.refusedBy, {}, `refused: ${JSON.stringify(ddl.recent.filter((e) => e.outcome !== 'applied'))}`);
    assert.equal(ddl.applied, ITERATIONS);
    await waitForConvergence(cs.src, cs.dst, TABLES, 60_000);
    assert.deepEqual(await destinationColumns(), ['id', 'title', ...Array.from({ length: ITERATIONS }, (_, k) => `c${k + 1}`)]);
    assert.deepEqual((await status()).incremental?.ignoredColumns ?? [], []);
  });

  it('a temporary table made from a selected table does not count as rows changed: the DDL and rows after it are applied', async () => {
    const sum = (d: { applied: number; refusedBy: Record<string, number> }) => d.applied + Object.values(d.refusedBy).reduce((a, b) => a + b, 0);
    const seen = await ddlStatsAfter(ITERATIONS);
    const rounds = 10;
    for (let i = 1; i <= rounds; i++) {
      const statements = [
        `CREATE TEMP TABLE mr_copy${i} AS SELECT id, title FROM app.merge_requests WHERE id <= 5`,
        `ALTER TABLE app.merge_requests ADD COLUMN copied${i} boolean DEFAULT false`,
        `INSERT INTO app.merge_requests (id, title, copied${i}) SELECT id + ${100_000 * i}, title, true FROM mr_copy${i}`,
        `INSERT INTO app.schema_migrations VALUES ('temp${i}')`,
      ];
      if (i % 2) await cs.src.query(`BEGIN; ${statements.join('; ')}; COMMIT`);
      else for (const sql of ['BEGIN', ...statements, 'COMMIT']) await cs.src.query(sql);
    }
    // Two statements captured per round: the CREATE TEMP TABLE (never replicated: unsupported) and the ALTER.
    const ddl = await ddlStatsAfter(sum(seen) + 2 * rounds);
    const refusals = JSON.stringify(ddl.recent.filter((e) => e.outcome !== 'applied'));
    assert.equal(ddl.refusedBy['mixed-with-rows'] ?? 0, seen.refusedBy['mixed-with-rows'] ?? 0, `refused: ${refusals}`);
    assert.equal(ddl.applied, seen.applied + rounds, `every ALTER applied; refused: ${refusals}`);
    assert.equal(ddl.refusedBy.unsupported ?? 0, (seen.refusedBy.unsupported ?? 0) + rounds, 'each CREATE TEMP TABLE is refused as unsupported');
    assert.ok(ddl.recent.filter((e) => e.outcome === 'unsupported').every((e) => /^CREATE TEMP TABLE/.test(e.statement)), refusals);
    await waitForConvergence(cs.src, cs.dst, TABLES, 60_000);
    const columns = await destinationColumns();
    for (let i = 1; i <= rounds; i++) assert.ok(columns.includes(`copied${i}`), `copied${i} on the destination`);
  });
});
