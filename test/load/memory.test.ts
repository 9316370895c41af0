// Bounded memory: the worker (a child process) catches up a 1 M-change backlog and applies one very
// large source transaction while its peak RSS stays under 300 MB. The peak is the kernel's high-water
// mark (VmHWM), reset just before each measured phase so the worker's start-up does not count.
// PG_DTS_BIG_TXN_MB sets the size of the large transaction (default 2048).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import { pauseSignal, resumeSignal, statusQuery } from '../../workflows/messages';
import { releaseAll } from '../harness/cleanup';
import { startClusterPair, TEST_PASSWORD, type ClusterPair } from '../harness/clusters';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker, temporalClient, type WorkerProcess } from '../harness/temporal';

const LIMIT_MB = 300;
const BIG_TXN_MB = Number(process.env.PG_DTS_BIG_TXN_MB ?? 2048);
const TASK = 'memory';
const QUEUE = 'pg-dts-memory';

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}
/** Resets the process's peak-RSS mark (Linux >= 4.0). */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  console.log(`# worker RSS at the start of the measurement: ${peakRssMb(pid).toFixed(0)} MB`);
}

describe('bounded memory while catching up and applying a huge transaction', () => {
  let pg: ClusterPair;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;
  let worker: WorkerProcess;

  const status = () => temporal.workflow.getHandle(TASK).query(statusQuery);

  before(async () => {
    pg = await startClusterPair();
    src = await pg.source.client();
    dst = await pg.destination.client();
    await src.query(`CREATE SCHEMA mem;
      CREATE TABLE mem.items (id bigint PRIMARY KEY, n int, payload text);
      CREATE TABLE mem.big (id bigint PRIMARY KEY, payload text)`);
    temporal = await temporalClient();
    // Its own task queue: the worker runs the measured task and nothing else.
    worker = startWorker({ PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD }, QUEUE);
    await temporal.workflow.start('syncTask', {
      taskQueue: QUEUE, workflowId: TASK,
      args: [{
        name: TASK, syncTypes: ['schema', 'full', 'incremental'], objects: [{ schema: 'mem' }],
        source: { url: pg.source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_SRC' },
        destination: { url: pg.destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DST' },
      }],
    });
    await waitFor('incremental', async () => (await status()).phase === 'incremental', 120_000, 200);
  });
  after(async () => {
    await src?.end();
    await dst?.end();
    await releaseAll();
  });

  it(`catches up a 1 M-change backlog under ${LIMIT_MB} MB`, async () => {
    const handle = temporal.workflow.getHandle(TASK);
    await handle.signal(pauseSignal);
    await waitFor('paused', async () => (await status()).phase === 'paused', 60_000, 200);
    // 500 000 inserts and 500 000 updates, in 100 transactions.
    await src.query(`DO $$ BEGIN
      FOR t IN 0..49 LOOP INSERT INTO mem.items SELECT g, 0, md5(g::text) FROM generate_series(t * 10000 + 1, t * 10000 + 10000) g; COMMIT; END LOOP;
      FOR t IN 0..49 LOOP UPDATE mem.items SET n = n + 1, payload = payload || 'x' WHERE id > t * 10000 AND id <= t * 10000 + 10000; COMMIT; END LOOP;
      END $$`);
    resetPeak(worker.process.pid!);
    const t0 = Date.now();
    await handle.signal(resumeSignal);
    await waitForConvergence(src, dst, { 'mem.items': 'id' }, 600_000);
    const peak = peakRssMb(worker.process.pid!);
    console.log(`# 1 M-change backlog: caught up in ${((Date.now() - t0) / 1000).toFixed(1)} s, worker peak RSS ${peak.toFixed(0)} MB`);
    assert.ok(peak < LIMIT_MB, `worker peak RSS ${peak.toFixed(0)} MB`);
  });

  it(`applies one ${BIG_TXN_MB} MB transaction under ${LIMIT_MB} MB`, async () => {
    const rows = Math.round((BIG_TXN_MB * 1024 * 1024) / 1024);
    resetPeak(worker.process.pid!);
    const t0 = Date.now();
    // ~1 kB rows, each value different (md5 chains), all in one transaction.
    await src.query(`INSERT INTO mem.big SELECT g, repeat(md5(g::text), 31) FROM generate_series(1, ${rows}) g`);
    const written = Date.now();
    await waitFor('the large transaction applied', async () => {
      const r = await dst.query('SELECT count(*)::int AS n FROM mem.big');
      return r.rows[0].n === rows;
    }, 1_200_000, 1000);
    const peak = peakRssMb(worker.process.pid!);
    console.log(`# ${BIG_TXN_MB} MB transaction (${rows} rows): written in ${((written - t0) / 1000).toFixed(1)} s, ` +
      `applied ${((Date.now() - written) / 1000).toFixed(1)} s later; worker peak RSS ${peak.toFixed(0)} MB`);
    assert.ok(peak < LIMIT_MB, `worker peak RSS ${peak.toFixed(0)} MB`);
    const sum = async (db: PgClient) => (await db.query(`SELECT sum(length(payload))::text AS s, md5(string_agg(md5(payload), '' ORDER BY id)) AS h FROM mem.big`)).rows[0];
    assert.deepEqual(await sum(dst), await sum(src));
  });
});
