// modifyObjects on a running task, under a steady write load on both the running and the added table:
// the added table is prechecked, created, copied (slowly, throttled) while the running table keeps
// streaming, then joins the stream with no gap and no overlap (checksums equal, nothing missing); a
// removed table stops being applied and stays on the destination. A worker killed while the added table
// is being copied changes nothing in the outcome.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { modifyObjectsSignal, statusQuery, throttleSignal } from '../../workflows/messages';
import { openSampleFixture, WORKER_ENV, type SampleFixture } from '../harness/sample-fixture';
import { tableChecksum, waitFor, waitForConvergence } from '../harness/checksum';
import { pgDts, startWorker, temporalClient } from '../harness/temporal';
import { startWriteLoop, type WriteLoop } from '../harness/write-loop';

const TASK = 'modify-objects';
const TABLES = { 'shop.customers': 'id', 'shop.audit_log': 'id' };

/** Inserts, updates and deletes on both tables until stopped; the load a real application would add. */
function startWriter(db: PgClient): WriteLoop {
  return startWriteLoop(async (n) => {
    await db.query(`INSERT INTO shop.customers (name, email) VALUES ($1, $2)`, [`w${n}`, `w${n}@load`]);
    await db.query(`INSERT INTO shop.audit_log (event) VALUES ($1)`, [`load ${n}`]);
    await db.query(`UPDATE shop.audit_log SET event = event || '+' WHERE id = (SELECT id FROM shop.audit_log ORDER BY random() LIMIT 1)`);
    if (n % 5 === 0) await db.query(`DELETE FROM shop.audit_log WHERE id = (SELECT min(id) FROM shop.audit_log)`);
  }, 15);
}

describe('modifyObjects: adding and removing tables while the task streams', () => {
  let fx: SampleFixture;
  let temporal: Client;
  let loadDb: PgClient;
  const status = () => temporal.workflow.getHandle(TASK).query(statusQuery);
  const modification = async () => (await status()).modification;

  before(async () => {
    fx = await openSampleFixture(200);
    // Enough rows in the table to add that its throttled copy takes several seconds.
    await fx.src.query(`INSERT INTO shop.audit_log (event) SELECT 'seed ' || g FROM generate_series(1, 30000) g`);
    loadDb = await fx.pg.source.client();
    temporal = await temporalClient();
    await temporal.workflow.start('syncTask', {
      taskQueue: 'pg-dts', workflowId: TASK,
      args: [fx.spec(TASK, { objects: [{ schema: 'shop', tables: ['customers'] }] })],
    });
    await waitFor('incremental', async () => (await status()).phase === 'incremental', 120_000, 200);
  });
  after(async () => {
    await loadDb?.end().catch(() => undefined);
    await fx?.close();
  });

  it('adds a table under load: copied while the others stream, joined with no gap, even when the worker is killed mid-copy', async () => {
    await temporal.workflow.getHandle(TASK).signal(throttleSignal, { full: { rps: 5000 } });
    const writer = startWriter(loadDb);
    await new Promise((r) => setTimeout(r, 1000));
    await temporal.workflow.getHandle(TASK).signal(modifyObjectsSignal, { objects: [{ schema: 'shop', tables: ['customers', 'audit_log'] }] });
    await waitFor('copying', async () => (await modification())?.state === 'copying', 60_000, 100);

    // The running table keeps streaming while the added one is copied.
    await fx.src.query(`INSERT INTO shop.customers (name, email) VALUES ('during copy', 'during@copy')`);
    await waitFor('running table applied during the copy', async () =>
      (await fx.dst.query(`SELECT 1 FROM shop.customers WHERE email = 'during@copy'`)).rowCount === 1, 30_000, 100);
    assert.equal((await modification())?.state, 'copying', 'the marker row arrived while the added table was still being copied');

    // Kill the worker in the middle of the added table's copy; another worker resumes it.
    await fx.worker.kill('SIGKILL');
    startWorker(WORKER_ENV);

    const done = await waitFor('modification done', async () => {
      const m = await modification();
      if (m?.state === 'failed' || m?.state === 'refused') throw new Error(`modification ${m.state}: ${m.problems.join('; ')}`);
      return m?.state === 'done' ? m : undefined;
    }, 180_000, 250);
    assert.deepEqual(done.added, ['shop.audit_log']);
    assert.deepEqual(done.removed, []);

    await new Promise((r) => setTimeout(r, 1500)); // writes after the join reach the added table through the main stream
    const writes = await writer.stop();
    assert.ok(writes > 50, `the load kept writing (${writes} rounds)`);
    await waitForConvergence(fx.src, fx.dst, TABLES, 120_000);

    const s = await status();
    assert.equal(s.incremental?.missingRows ?? 0, 0, 'no change found its row missing');
    assert.equal(s.tables.find((t) => t.source === 'shop.audit_log')?.state, 'copied');
    const leftovers = await fx.src.query(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE '%\\_add'`);
    assert.equal(leftovers.rowCount, 0, 'the addition slot is dropped after the join');
  });

  it('removes a table: its changes stop being applied, its destination table stays', async () => {
    // Through the pg-dts CLI this time: it checks the file, then signals.
    const file = join(mkdtempSync(join(tmpdir(), 'pg-dts-objects-')), 'objects.json');
    writeFileSync(file, JSON.stringify({ objects: [{ schema: 'shop', tables: ['audit_log'] }] }));
    const sent = pgDts(['modify', TASK, '--objects', file]);
    assert.equal(sent.status, 0, sent.stderr);
    const done = await waitFor('removal done', async () => {
      const m = await modification();
      return m?.state === 'done' && m.removed.length ? m : undefined;
    }, 120_000, 200);
    assert.deepEqual(done.removed, ['shop.customers']);
    const before = await tableChecksum(fx.dst, 'shop.customers', 'id');

    await fx.src.query(`INSERT INTO shop.customers (name, email) VALUES ('after removal', 'after@removal')`);
    await fx.src.query(`UPDATE shop.customers SET name = 'changed after removal' WHERE id = 1`);
    await fx.src.query(`INSERT INTO shop.audit_log (event) VALUES ('still streaming')`);
    await waitForConvergence(fx.src, fx.dst, { 'shop.audit_log': 'id' }, 60_000);

    assert.deepEqual(await tableChecksum(fx.dst, 'shop.customers', 'id'), before, 'the removed table is left exactly as it was');
    const s = await status();
    assert.equal(s.tables.find((t) => t.source === 'shop.customers')?.state, 'removed');
  });

  it('refuses a modification that would change a running table or select a missing one, keeping the selection', async () => {
    await temporal.workflow.getHandle(TASK).signal(modifyObjectsSignal, {
      objects: [{ schema: 'shop', tables: [{ name: 'audit_log', rename: 'audit_elsewhere' }, 'no_such_table'] }],
    });
    const refused = await waitFor('refused', async () => {
      const m = await modification();
      return m?.state === 'refused' ? m : undefined;
    }, 60_000, 200);
    assert.match(refused.problems.join('\n'), /shop\.audit_log is already syncing/);
    assert.match(refused.problems.join('\n'), /no_such_table/);
    await temporal.workflow.getHandle(TASK).signal(modifyObjectsSignal, { objects: [] });
    await waitFor('bad payload reported', async () => /modifyObjects signal ignored: objects: select at least one schema/.test((await status()).lastError ?? ''), 30_000, 200);
    await fx.src.query(`INSERT INTO shop.audit_log (event) VALUES ('selection unchanged')`);
    await waitForConvergence(fx.src, fx.dst, { 'shop.audit_log': 'id' }, 60_000);
  });
});
