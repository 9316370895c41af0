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
  /** Every copy session has imported the snapshot (or failed to): its exporter may close. */
  onSnapshotImported?: () => void;
}

interface Job {
  plan: TablePlan;
  index: number;
}

/**
 * `idle_in_transaction_session_timeout` of pg-dts's source sessions that hold a transaction open (the
 * copy sessions inside the snapshot, the snapshot's exporter): a worker that stops consuming — stuck,
 * frozen or cut off — must not keep a table's lock and the source's xmin for longer than this. Five
 * minutes: far longer than the legitimate idle gaps (between two chunks the destination commits the
 * previous one). Worker setting PG_DTS_SOURCE_IDLE_TX_SECONDS (0 = the server's own setting).
 */
export const SOURCE_IDLE_TX_SECONDS = 300;

export function sourceIdleTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PG_DTS_SOURCE_IDLE_TX_SECONDS;
  if (raw === undefined || raw.trim() === '') return SOURCE_IDLE_TX_SECONDS;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : SOURCE_IDLE_TX_SECONDS;
}

/** A source session that will hold a transaction open, with the idle-in-transaction bound set. */
export async function connectSourceForTransaction(config: ClientConfig): Promise<Client> {
  const client = await connect(config);
  const seconds = sourceIdleTimeoutSeconds();
  if (seconds > 0) {
    try {
      await client.query(`SET idle_in_transaction_session_timeout = '${seconds}s'`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }
  return client;
}

/** A source session inside an exported snapshot (read only): every copy and the planner read through one. */
export async function openSnapshotSession(config: ClientConfig, snapshotName: string): Promise<Client> {
  const client = await connectSourceForTransaction(config);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT '${snapshotName.replace(/'/g, "''")}'`);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
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

interface WorkerSessions {
  source: Client;
  destination: Client;
}

/** A copy worker's sessions: the destination's first (nothing is opened on the source when it is unreachable). */
async function openWorkerSessions(opts: CopyEngineOptions): Promise<WorkerSessions> {
  const destination = await connectApplier(opts.destination);
  try {
    return { destination, source: await openSnapshotSession(opts.source, opts.snapshotName) };
  } catch (err) {
    await destination.end().catch(() => undefined);
    throw err;
  }
}

/**
 * Ends a worker's sessions. After a failure the source session is closed without a word (a COPY that
 * nobody reads any more would never let a COMMIT through; closing the socket ends the server's session,
 * its transaction and its locks at once); after success its read-only transaction is committed first.
 */
async function closeWorkerSessions(sessions: WorkerSessions, failed: boolean): Promise<void> {
  await sessions.destination.end().catch(() => undefined);
  if (!failed) await sessions.source.query('COMMIT').catch(() => undefined);
  await sessions.source.end().catch(() => undefined);
}

async function copyWorker(opts: CopyEngineOptions, sessions: WorkerSessions, queue: Job[], progress: Map<string, TableProgress>, stop: AbortSignal): Promise<void> {
  const { source, destination } = sessions;
  for (let job = queue.shift(); job && !opts.signal?.aborted && !stop.aborted; job = queue.shift()) {
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
}

/**
 * Copies every chunk not yet done; returns the final per-table progress. Every worker's source session
 * imports the snapshot before any copy starts, and `onSnapshotImported` says so (the snapshot's holder
 * may then let go). The first failure, on either side, ends every worker's sessions at once: the other
 * workers' copies fail with it instead of running on (or hanging) behind an attempt that has failed.
 */
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
  if (!queue.length) {
    opts.onSnapshotImported?.();
    opts.onProgress(progress);
    return progress;
  }
  const workers = Math.max(1, Math.min(opts.concurrency, queue.length));
  const opened = await Promise.allSettled(Array.from({ length: workers }, () => openWorkerSessions(opts)));
  opts.onSnapshotImported?.();
  const sessions = opened.filter((r): r is PromiseFulfilledResult<WorkerSessions> => r.status === 'fulfilled').map((r) => r.value);
  const notOpened = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (notOpened) {
    await Promise.all(sessions.map((s) => closeWorkerSessions(s, true)));
    throw notOpened.reason;
  }
  const stop = new AbortController();
  let firstError: { error: unknown } | undefined;
  await Promise.all(
    sessions.map(async (s) => {
      let failed = false;
      const endNow = (): void => void closeWorkerSessions(s, true);
      stop.signal.addEventListener('abort', endNow, { once: true });
      try {
        await copyWorker(opts, s, queue, progress, stop.signal);
      } catch (err) {
        failed = true;
        firstError ??= { error: err }; // later ones are mostly this failure's echo (sessions ended under them)
        queue.length = 0;
        stop.abort();
      } finally {
        stop.signal.removeEventListener('abort', endNow);
        await closeWorkerSessions(s, failed || stop.signal.aborted);
      }
    }),
  );
  if (firstError) throw firstError.error;
  opts.onProgress(progress);
  return progress;
}
