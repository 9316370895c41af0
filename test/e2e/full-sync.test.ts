// Full data sync through a real task: chunked parallel copy under a mixed write load meets incremental
// sync exactly (the consistent cut), and the full-sync throttle holds its rate and follows a signal.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { statusQuery } from '../../workflows/messages';
import { BANK_TABLES, connectLocal, seedBank, startBankLoad } from '../harness/bank-load';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { openClusterSessions, type ClusterPair, type ClusterSessions } from '../harness/clusters';
import { WORKER_ENV } from '../harness/sample-fixture';
import { clusterSpec, startTask } from '../harness/task-spec-file';
import { pgDts, startWorker, temporalClient } from '../harness/temporal';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('full data sync', () => {
  let fx: ClusterSessions;
  let pg: ClusterPair;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;

  before(async () => {
    fx = await openClusterSessions();
    ({ pg, src, dst } = fx);
    await seedBank(src, { accounts: 60_000, branches: 4, tellersPerBranch: 10 });
    await src.query(`CREATE SCHEMA thr; CREATE TABLE thr.items (id int PRIMARY KEY, v text NOT NULL)`);
    await src.query(`INSERT INTO thr.items SELECT g, md5(g::text) FROM generate_series(1, 60000) g`);
    await src.query('ANALYZE thr.items');
    startWorker(WORKER_ENV);
    temporal = await temporalClient();
  });
  after(() => fx?.close());

  it('copies in parallel chunks while inserts, updates, deletes and key changes run, and meets incremental exactly', async () => {
    const task = 'full-cut-under-load';
    // The load runs before, during and after the copy: every change is either in the snapshot or streamed.
    const load = startBankLoad({ connect: () => connectLocal(pg.source.port), clients: 3, targetTps: 150, extraEvery: 5 });
    await sleep(1000);
    startTask(clusterSpec(pg, task, {
      objects: [{ schema: 'bank' }],
      // Small chunks, and a rate that makes the copy last several seconds under the load.
      full: { concurrency: 3, chunkRows: 5000 },
      throttle: { full: { rps: 8_000 } },
    }));
    const handle = temporal.workflow.getHandle(task);
    const seenWhileCopying = await waitFor('copy under way', async () => {
      const s = await handle.query(statusQuery);
      return s.phase === 'full' && s.full && s.full.chunksDone > 0 && s.full.chunksDone < s.full.chunks ? s.full : undefined;
    }, 120_000, 200);
    await waitFor('incremental phase', async () => (await handle.query(statusQuery)).phase === 'incremental', 180_000, 500);
    await sleep(2000);
    const stats = await load.stop();
    assert.ok(stats.committed > 300 && stats.reinserts > 10 && stats.keyFlips > 10, `load: ${JSON.stringify(stats)}`);
    await waitForConvergence(src, dst, BANK_TABLES, 120_000);

    const s = await handle.query(statusQuery);
    const accounts = s.tables.find((t) => t.source === 'bank.accounts')!;
    assert.ok((accounts.chunks ?? 0) >= 8, `accounts split into ${accounts.chunks} chunks`);
    assert.equal(accounts.chunksDone, accounts.chunks);
    assert.equal(s.full?.binaryTables, 4, 'built-in types on both sides of one major version: binary COPY');
    assert.ok(seenWhileCopying.etaSeconds !== undefined && seenWhileCopying.estimatedRows > 60_000, JSON.stringify(seenWhileCopying));
    assert.equal(s.incremental?.missingRows ?? 0, 0, 'no update or delete found its row missing');
    // Keys were built after the data, and exist now.
    const pk = await dst.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'p' AND connamespace = 'bank'::regnamespace`);
    assert.equal(pk.rows[0].n, 4);
    await handle.signal('release');
    await handle.result();
    // The table itself goes with the last task on this destination.
    const table = (await dst.query(`SELECT to_regclass('_pg_dts.full_chunks') IS NOT NULL AS ok`)).rows[0].ok;
    const left = table ? (await dst.query(`SELECT count(*)::int AS n FROM _pg_dts.full_chunks`)).rows[0].n : 0;
    assert.equal(left, 0, 'release forgets the recorded chunk progress');
  });

  it('holds throttle.full rps, and follows a throttle signal (sourceQps) within 2 s without restarting the copy', async () => {
    const task = 'full-throttle';
    startTask(clusterSpec(pg, task, {
      objects: [{ schema: 'thr' }],
      syncTypes: ['schema', 'full'],
      full: { concurrency: 2, chunkRows: 200 },
      throttle: { full: { rps: 1000 } },
    }));
    const handle = temporal.workflow.getHandle(task);
    const count = async (): Promise<{ rows: number; at: number }> => {
      const r = await dst.query(`SELECT count(*)::int AS n FROM thr.items`).catch(() => ({ rows: [{ n: 0 }] }));
      return { rows: r.rows[0].n, at: Date.now() };
    };
    const rateOver = async (ms: number): Promise<number> => {
      const a = await count();
      await sleep(ms);
      const b = await count();
      return ((b.rows - a.rows) * 1000) / (b.at - a.at);
    };
    await waitFor('copy started', async () => (await count()).rows > 0, 120_000, 100);
    await sleep(1000);
    const before = await rateOver(6000);
    const sent = pgDts(['throttle', task, '--full-source-qps', '3']);
    assert.equal(sent.status, 0, sent.stderr);
    await sleep(2000);
    const afterSignal = await rateOver(6000);
    const attempts = (await dst.query(`SELECT max(attempt)::int AS a FROM _pg_dts.full_chunks`)).rows[0].a;
    pgDts(['throttle', task, '--clear']);
    await handle.result();
    const within = (rate: number, limit: number): boolean => Math.abs(rate - limit) <= 0.2 * limit;
    assert.ok(within(before, 1000), `rps 1000: measured ${before.toFixed(0)} rows/s`);
    assert.ok(within(afterSignal, 3000), `sourceQps 3 (= 3000 rows/s): measured ${afterSignal.toFixed(0)} rows/s`);
    assert.equal(attempts, 1, 'the copy was not restarted');
    const [s, d] = await Promise.all([
      src.query(`SELECT count(*)::int AS n, md5(string_agg(v, ',' ORDER BY id)) AS h FROM thr.items`),
      dst.query(`SELECT count(*)::int AS n, md5(string_agg(v, ',' ORDER BY id)) AS h FROM thr.items`),
    ]);
    assert.deepEqual(d.rows[0], s.rows[0]);
  });
});
