// Full data sync engine: a pool of copy workers takes chunks (key ranges) from one queue, biggest first so
// the longest table does not start last. Each worker has a source session inside the copy's snapshot and
// a destination session; each chunk is one destination transaction holding the chunk's data and its
// progress row (progress-store.ts), so a chunk is either entirely copied and recorded, or not at all.
import type { Client, ClientConfig } from 'pg';
import { connect, connectApplier } from '../conn/connect';
import type { RateLimiter } from '../util/rate-limiter';
import { copyChunk } from './copy-chunk';
import type { TablePlan } from './plan';
import { claimChunk, completeChunk, type DoneChunk } from './progress-store';

export interface TableProgress {
  table: string;
  rows: number;
  bytes: number;
  chunks: number;
  chunksDone: number;
  done: boolean;
  /** Rows copied by this attempt and when it started copying the table: the rate behind the ETA. */
  rowsThisAttempt: number;
  startedAt: number | null;
}

export interface CopyEngineOptions {
  taskId: string;
  attempt: number;
  plans: TablePlan[];
  /** Chunks recorded done by earlier attempts: not copied again. */
  done: DoneChunk[];
  source: ClientConfig;
  destination: ClientConfig;
  snapshotName: string;
  concurrency: number;
  keepExisting: boolean;
  limiter: RateLimiter;
  /** Something moved; `progress` is live (read it, do not keep it). */
  onProgress: (progress: Map<string, TableProgress>) => void;
  /** Set when the activity is cancelled: workers stop taking chunks. */
  signal?: AbortSignal;
}

interface Job {
  plan: TablePlan;
  index: number;
}

/** A source session inside an exported snapshot (read only): every copy and the planner read through one. */
export async function openSnapshotSession(config: ClientConfig, snapshotName: string): Promise<Client> {
  const client = await connect(config);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await client.query(`SET TRANSACTION SNAPSHOT '${snapshotName.replace(/'/g, "''")}'`);
  return client;
}

export function initialProgress(plans: TablePlan[], done: DoneChunk[]): Map<string, TableProgress> {
  const progress = new Map<string, TableProgress>();
  for (const p of plans) {
    progress.set(p.key, { table: p.key, rows: 0, bytes: 0, chunks: p.chunks.length, chunksDone: 0, done: false, rowsThisAttempt: 0, startedAt: null });
  }
  for (const d of done) {
    const t = progress.get(d.table);
    if (!t) continue;
    t.rows += d.rows;
    t.bytes += d.bytes;
    t.chunksDone++;
  }
  for (const t of progress.values()) t.done = t.chunksDone >= t.chunks;
  return progress;
}

async function copyWorker(opts: CopyEngineOptions, queue: Job[], progress: Map<string, TableProgress>): Promise<void> {
  if (!queue.length) return;
  const source = await openSnapshotSession(opts.source, opts.snapshotName);
  const destination = await connectApplier(opts.destination);
  try {
    for (let job = queue.shift(); job && !opts.signal?.aborted; job = queue.shift()) {
      const t = progress.get(job.plan.key)!;
      t.startedAt ??= Date.now();
      await destination.query('BEGIN');
      try {
        if (!(await claimChunk(destination, opts.taskId, job.plan.key, job.index, opts.attempt))) {
          await destination.query('ROLLBACK'); // a concurrent (stale) attempt copied it meanwhile
          continue;
        }
        let rowsSeen = 0;
        let bytesSeen = 0;
        const result = await copyChunk(source, destination, job.plan, job.plan.chunks[job.index]!, {
          keepExisting: opts.keepExisting,
          limiter: opts.limiter,
          onData: (rows, bytes) => {
            rowsSeen += rows;
            bytesSeen += bytes;
            t.rows += rows;
            t.rowsThisAttempt += rows;
            t.bytes += bytes;
            opts.onProgress(progress);
          },
        });
        await completeChunk(destination, opts.taskId, job.plan.key, job.index, result.rows, result.bytes);
        await destination.query('COMMIT');
        // The streamed estimate becomes the destination's count (they differ in ignore mode).
        t.rows += result.rows - rowsSeen;
        t.bytes += result.bytes - bytesSeen;
        t.chunksDone++;
        t.done = t.chunksDone >= t.chunks;
        opts.onProgress(progress);
      } catch (err) {
        await destination.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }
  } finally {
    await destination.end().catch(() => undefined);
    await source.query('COMMIT').catch(() => undefined);
    await source.end().catch(() => undefined);
  }
}

/** Copies every chunk not yet done; returns the final per-table progress. */
export async function copyChunks(opts: CopyEngineOptions): Promise<Map<string, TableProgress>> {
  const progress = initialProgress(opts.plans, opts.done);
  const done = new Set(opts.done.map((d) => `${d.table}#${d.chunk}`));
  const queue: Job[] = [];
  for (const plan of opts.plans) {
    plan.chunks.forEach((_, index) => {
      if (!done.has(`${plan.key}#${index}`)) queue.push({ plan, index });
    });
  }
  const chunkSize = (j: Job): number => j.plan.estimatedBytes / j.plan.chunks.length;
  queue.sort((a, b) => chunkSize(b) - chunkSize(a));
  const workers = Math.max(1, Math.min(opts.concurrency, queue.length));
  // One failing worker must stop the others from taking new chunks before the error is reported.
  const results = await Promise.allSettled(
    Array.from({ length: workers }, () =>
      copyWorker(opts, queue, progress).catch((err: unknown) => {
        queue.length = 0;
        throw err;
      }),
    ),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  opts.onProgress(progress);
  return progress;
}
