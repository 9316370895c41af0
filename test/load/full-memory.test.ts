// Bounded memory in the full sync: the worker (a child process) copies a table holding 1 GB of TOAST-ed
// text, four chunks at once, while its peak RSS stays under 300 MB. The peak is the kernel's high-water
// mark (VmHWM), reset once the worker is up and idle, just before the task starts, so the worker's
// start-up does not count; VmRSS is also sampled every 150 ms to show how memory moves during the copy.
// PG_DTS_FULL_COPY_MB sets the size of the table in MiB (default 1024, i.e. 1 GB; one row per MiB).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import { taskIdFromWorkflowId } from '../../src/spec/task-id';
import { onCleanup, releaseAll } from '../harness/cleanup';
import { startClusterPair, TEST_PASSWORD, type ClusterPair } from '../harness/clusters';
import { waitFor } from '../harness/checksum';
import { pgDts, startWorker, temporalClient, type WorkerProcess } from '../harness/temporal';

const QUEUE = 'pg-dts-memory';
const LIMIT_MB = 300;
const TABLE_MB = Number(process.env.PG_DTS_FULL_COPY_MB ?? 1024);
const TASK = 'full-memory';
const MiB = 1024 * 1024;
/** Each row's body: a 32 KiB block of random md5 hex, repeated 32 times (1 MiB, different in every row). */
const BLOCK_MD5S = 1024;
const BLOCK_REPEATS = 32;
const ROW_BYTES = BLOCK_MD5S * 32 * BLOCK_REPEATS;
const ROWS = Math.max(1, Math.round((TABLE_MB * MiB) / ROW_BYTES));
const CONCURRENCY = 4;
/**
 * Rows per chunk, so the table is split into exactly CONCURRENCY chunks copied at once (the worst case for
 * the worker's memory) whatever PG_DTS_FULL_COPY_MB is; the default chunkMB would give 1 GB four or five.
 */
const CHUNK_ROWS = Math.max(100, Math.ceil(ROWS / CONCURRENCY));

function procStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}
const mb = (kb: number): string => (kb / 1024).toFixed(0);
/** Resets the process's peak-RSS mark (Linux >= 4.0). */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Samples a process's RSS every `everyMs` until stopped: the highest sample and a coarse timeline. */
function sampleRss(pid: number, everyMs: number): { stop(): { maxKb: number; samples: number; timeline: string } } {
  const t0 = Date.now();
  let maxKb = 0;
  let samples = 0;
  const timeline: string[] = [];
  let nextMark = 0;
  const timer = setInterval(() => {
    let kb: number;
    try {
      kb = procStatusKb(pid, 'VmRSS');
    } catch {
      return; // the process is gone; the test reports that elsewhere
    }
    samples++;
    maxKb = Math.max(maxKb, kb);
    const s = (Date.now() - t0) / 1000;
    if (s >= nextMark) {
      timeline.push(`${s.toFixed(0)}s:${mb(kb)}`);
      nextMark += 5;
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { maxKb, samples, timeline: timeline.join(' ') };
    },
  };
}

/** Row count, total text length and an ordered digest of every body: equal on both sides = same data. */
async function digest(db: PgClient): Promise<{ rows: number; chars: string; md5: string }> {
  const r = await db.query(
    `SELECT count(*)::int AS rows, coalesce(sum(length(body)), 0)::text AS chars,
            coalesce(md5(string_agg(md5(body), '' ORDER BY id)), '') AS md5 FROM big.docs`,
  );
  return r.rows[0];
}

describe('bounded memory while copying a table of large TOAST-ed values', () => {
  let pg: ClusterPair;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;
  let worker: WorkerProcess;

  before(async () => {
    pg = await startClusterPair();
    src = await pg.source.client();
    dst = await pg.destination.client();
    temporal = await temporalClient();
    // The worker starts (bundling its workflow code in a child) while the source is being filled.
    // Its own task queue: the worker runs the measured task and nothing else.
    worker = startWorker({ PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD }, QUEUE);

    // STORAGE EXTERNAL: values are moved to TOAST uncompressed (random hex would not compress much anyway).
    await src.query(`CREATE SCHEMA big;
      CREATE TABLE big.docs (id int PRIMARY KEY, body text);
      ALTER TABLE big.docs ALTER COLUMN body SET STORAGE EXTERNAL`);
    const t0 = Date.now();
    // Server-side, on two sessions at once (a session fills one core). The block is built per row
    // (the lateral subquery refers to g), so every row differs.
    const fill = async (db: PgClient, from: number, to: number): Promise<void> => {
      if (from > to) return;
      await db.query(
        `INSERT INTO big.docs
         SELECT g, repeat(b.block, ${BLOCK_REPEATS}) FROM generate_series(${from}, ${to}) g
         CROSS JOIN LATERAL (SELECT string_agg(md5(random()::text || i || g), '') AS block FROM generate_series(1, ${BLOCK_MD5S}) i) b`,
      );
    };
    const second = await pg.source.client();
    try {
      const half = Math.ceil(ROWS / 2);
      await Promise.all([fill(src, 1, half), fill(second, half + 1, ROWS)]);
    } finally {
      await second.end();
    }
    await src.query('ANALYZE big.docs');
    const size = (await src.query(`SELECT pg_table_size('big.docs')::float8 AS table, pg_relation_size('big.docs')::float8 AS heap`)).rows[0];
    console.log(
      `# seeded big.docs: ${ROWS} rows of ${ROW_BYTES} B in ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
        `pg_table_size ${(size.table / MiB).toFixed(0)} MiB (heap ${(size.heap / 1024).toFixed(0)} kB, the rest TOAST)`,
    );
    assert.ok(size.table >= TABLE_MB * MiB, `pg_table_size ${size.table} B < ${TABLE_MB} MiB`);

    // Idle worker: it polls the task queue for workflow (TaskQueueType 1) and activity (2) tasks.
    const polled = async (taskQueueType: number): Promise<boolean> => {
      const r = await temporal.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: QUEUE }, taskQueueType });
      return (r.pollers?.length ?? 0) > 0;
    };
    try {
      await waitFor('the worker to poll', async () => worker.process.exitCode === null && (await polled(1)) && (await polled(2)), 120_000, 250);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nworker log (tail):\n${worker.output().split('\n').slice(-20).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  });
  after(async () => {
    await src?.end();
    await dst?.end();
    await releaseAll();
  });

  it(`copies ${TABLE_MB} MiB of TOAST-ed text with the worker's peak RSS under ${LIMIT_MB} MB`, { timeout: 900_000 }, async () => {
    const pid = worker.process.pid!;
    const idleKb = procStatusKb(pid, 'VmRSS');
    const specDir = mkdtempSync(join(tmpdir(), 'pg-dts-full-memory-'));
    onCleanup(() => rmSync(specDir, { recursive: true, force: true }));
    const spec = join(specDir, 'spec.json');
    writeFileSync(spec, JSON.stringify({
      name: TASK,
      source: { url: pg.source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_SRC' },
      destination: { url: pg.destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DST' },
      syncTypes: ['schema', 'full'],
      objects: [{ schema: 'big' }],
      full: { concurrency: CONCURRENCY, chunkRows: CHUNK_ROWS },
    }));

    resetPeak(pid);
    const sampler = sampleRss(pid, 150);
    const t0 = Date.now();
    let result: { tables?: number } | undefined;
    let sampled: ReturnType<ReturnType<typeof sampleRss>['stop']>;
    let peakKb: number;
    try {
      const started = pgDts(['start', '--spec', spec], { PG_DTS_TASK_QUEUE: QUEUE });
      assert.equal(started.status, 0, `pg-dts start failed: ${started.stderr}`);
      result = await temporal.workflow.getHandle(TASK).result();
    } catch (err) {
      const tail = worker.output().split('\n').slice(-20).join('\n');
      throw new Error(`${(err as Error).message}\nworker log (tail):\n${tail}`);
    } finally {
      sampled = sampler.stop();
      peakKb = procStatusKb(pid, 'VmHWM');
    }
    const taskSeconds = (Date.now() - t0) / 1000;

    // The copy itself, from the progress the full sync records on the destination (server clock).
    const copy = (await dst.query(
      `SELECT extract(epoch FROM max(c.done_at) - s.started_at)::float8 AS seconds, count(*)::int AS chunks,
              sum(c.bytes)::float8 AS bytes, jsonb_array_length(s.plan -> 0 -> 'chunks') AS planned
         FROM _pg_dts.full_sync s JOIN _pg_dts.full_chunks c USING (task_id)
        WHERE s.task_id = $1 GROUP BY s.started_at, s.plan`,
      [taskIdFromWorkflowId(TASK)],
    )).rows[0] as { seconds: number; chunks: number; bytes: number; planned: number } | undefined;
    const [a, b] = await Promise.all([digest(src), digest(dst)]);

    const gb = ((copy?.bytes ?? Number(a.chars)) / 1e9).toFixed(2);
    console.log(`# worker RSS idle before the task ${mb(idleKb)} MB; sampled ${sampled.samples}x, highest sample ${mb(sampled.maxKb)} MB`);
    console.log(`# RSS timeline (MB): ${sampled.timeline}`);
    console.log(
      `# full-sync memory: peak RSS ${mb(peakKb)} MB copying ${gb} GB in ${copy ? copy.seconds.toFixed(1) : '?'} s ` +
        `(${copy?.chunks ?? '?'} of ${copy?.planned ?? '?'} planned chunks, concurrency ${CONCURRENCY}; whole task ${taskSeconds.toFixed(1)} s)`,
    );
    assert.equal(result?.tables, 1);
    assert.deepEqual(b, a, 'destination = source (rows, total length, ordered md5 of every body)');
    assert.ok(peakKb / 1024 < LIMIT_MB, `worker peak RSS ${mb(peakKb)} MB >= ${LIMIT_MB} MB`);
  });
});
