// The whole task, the way a user runs it: spec file -> `temporal workflow start` -> worker process.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import { TEST_PASSWORD } from '../harness/clusters';
import { openSampleFixture, type SampleFixture } from '../harness/sample-fixture';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { pgDts, temporalCli, temporalClient } from '../harness/temporal';
import { SAMPLE_TABLES, startWriteLoad } from '../../src/demo/sample';

const TASK = 'e2e-orders';

/** `temporal workflow show --output json` prints payloads base64-encoded: decode every one of them. */
function decodePayloads(historyJson: string): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'data' && typeof x === 'string') out.push(Buffer.from(x, 'base64').toString('utf8'));
        else walk(x);
      }
    }
  };
  walk(JSON.parse(historyJson));
  return out.join('\n');
}

describe('sync task end to end (temporal CLI, worker process, real PostgreSQL)', () => {
  let fx: SampleFixture;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;

  before(async () => {
    fx = await openSampleFixture(2000);
    ({ src, dst } = fx);
    temporal = await temporalClient();
  });
  after(() => fx?.close());

  const status = () => temporal.workflow.getHandle(TASK).query(statusQuery);

  it('copies, then streams inserts, updates (incl. key changes), deletes and TRUNCATE written before, during and after the full sync', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-dts-spec-'));
    const specFile = join(dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify(fx.spec(TASK)));
    const load = startWriteLoad(src); // runs through precheck, schema, full and into incremental
    const started = temporalCli(['workflow', 'start', '--type', 'syncTask', '--task-queue', 'pg-dts', '--workflow-id', TASK, '--input-file', specFile]);
    assert.equal(started.status, 0, started.stderr);

    const phasesSeen = new Set<string>();
    await waitFor('incremental phase', async () => {
      const s = await status();
      phasesSeen.add(s.phase);
      return s.phase === 'incremental';
    }, 120_000, 100);
    await load.stop();
    assert.ok(load.writes() > 0, 'the write load ran');

    // After the copy: a primary-key change, deletes, a TRUNCATE, and inserts after it.
    await src.query(`UPDATE shop.customers SET id = id + 100000 WHERE id IN (SELECT id FROM shop.customers ORDER BY id LIMIT 5)`);
    await src.query(`UPDATE shop.order_lines SET qty = qty + 1 WHERE line = 1`);
    await src.query(`DELETE FROM shop.orders WHERE id % 7 = 0`);
    await src.query(`TRUNCATE shop.audit_log`);
    await src.query(`INSERT INTO shop.audit_log (event) SELECT 'after truncate ' || g FROM generate_series(1, 50) g`);
    await waitForConvergence(src, dst, SAMPLE_TABLES);

    // The destination schema: FKs and secondary indexes built after the data, types, sequence positions.
    const fks = await dst.query(`SELECT conname FROM pg_constraint WHERE contype = 'f' AND connamespace = 'shop'::regnamespace ORDER BY 1`);
    assert.deepEqual(fks.rows.map((r) => r.conname), ['order_lines_order_id_fkey', 'orders_customer_id_fkey']);
    const idx = await dst.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'shop' AND indexname = 'orders_customer_idx'`);
    assert.match(idx.rows[0].indexdef, /btree \(customer_id\)/);
    const col = await dst.query(`SELECT format_type(atttypid, atttypmod) AS t, attidentity FROM pg_attribute WHERE attrelid = 'shop.orders'::regclass AND attname = 'id'`);
    assert.deepEqual(col.rows[0], { t: 'bigint', attidentity: 'a' });
    const seq = await dst.query(`SELECT last_value::int AS v FROM shop.customers_id_seq`);
    assert.ok(seq.rows[0].v >= 500, 'serial sequence position copied after the full sync');

    // The pg-dts CLI reads the same status.
    const cli = pgDts(['status', TASK, '--json']);
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).phase, 'incremental');

    const s = await status();
    assert.equal(s.tables.length, Object.keys(SAMPLE_TABLES).length);
    assert.ok(s.tables.every((t) => t.state === 'copied'), JSON.stringify(s.tables));
    assert.ok(s.consistentPoint, 'the full sync recorded the consistent point where streaming starts');
    assert.ok(phasesSeen.has('incremental'));
  });

  it('pause holds changes back and resume delivers them', async () => {
    assert.equal(temporalCli(['workflow', 'signal', '--workflow-id', TASK, '--name', 'pause']).status, 0);
    await waitFor('paused phase', async () => (await status()).phase === 'paused', 30_000);
    await src.query(`INSERT INTO shop.audit_log (event) VALUES ('while paused')`);
    await new Promise((r) => setTimeout(r, 3000));
    const held = await dst.query(`SELECT count(*)::int AS n FROM shop.audit_log WHERE event = 'while paused'`);
    assert.equal(held.rows[0].n, 0, 'a paused task applies nothing');

    assert.equal(temporalCli(['workflow', 'signal', '--workflow-id', TASK, '--name', 'resume']).status, 0);
    await waitForConvergence(src, dst, SAMPLE_TABLES);
    assert.equal((await status()).phase, 'incremental');
  });

  it('never records a password in the workflow history', () => {
    const shown = temporalCli(['workflow', 'show', '--workflow-id', TASK, '--output', 'json']);
    assert.equal(shown.status, 0, shown.stderr);
    const decoded = decodePayloads(shown.stdout);
    assert.ok(decoded.includes('"passwordEnv":"PG_DTS_PW_SRC"'), 'the history does hold the spec (with the variable name)');
    assert.ok(!shown.stdout.includes(TEST_PASSWORD) && !decoded.includes(TEST_PASSWORD), 'but never the password itself');
  });

  it('release drops the slot and the publication on the source and the origin on the destination', async () => {
    assert.equal(temporalCli(['workflow', 'signal', '--workflow-id', TASK, '--name', 'release']).status, 0);
    const result = await temporal.workflow.getHandle(TASK).result();
    assert.equal(result.phase, 'released');
    const slots = await src.query(`SELECT slot_name FROM pg_replication_slots`);
    const pubs = await src.query(`SELECT pubname FROM pg_publication`);
    const origins = await dst.query(`SELECT roname FROM pg_replication_origin`);
    assert.deepEqual(slots.rows, []);
    assert.deepEqual(pubs.rows, []);
    assert.deepEqual(origins.rows, []);
  });
});
