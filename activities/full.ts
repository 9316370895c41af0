import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from 'pg';
import { tableKey, type SelectedTable } from '../src/catalog/names';
import { RowFilterError } from '../src/catalog/row-filter';
import { connect, withClient } from '../src/conn/connect';
import { logger } from '../src/log';
import {
  connectSourceForTransaction, copyChunks, initialProgress, openSnapshotSession, type TableProgress,
} from '../src/snapshot/full-sync';
import { checkRowFilters, planTables, readColumns, type TablePlan } from '../src/snapshot/plan';
import { overallReport, tableReport } from '../src/snapshot/progress-report';
import {
  ensureProgressStore, loadDoneChunks, loadFullSync, recordResume, saveNewFullSync, type DoneChunk,
} from '../src/snapshot/progress-store';
import type { Throttle } from '../src/spec/schema';
import {
  createSlotWithSnapshot, dropOriginIfExists, dropSlotIfExists, slotExists,
} from '../src/stream/replication-objects';
import { fullMetrics } from '../src/metrics/feed';
import { RateLimiter, type RateLimits } from '../src/util/rate-limiter';
import { qualified } from '../src/util/sql';
import type { TableProgressReport } from '../workflows/status';
import { progressReporter, taskContext, type TaskContext, type TaskInput } from './context';
import { additionProven, adoptable, claim, namingOf } from './ownership';
import { RetryWindow } from './retry-window';
import { emptyForRecopy } from '../src/snapshot/recopy-empty';
import { prepareSource } from './source-setup';
import { watchThrottle } from './throttle-watch';

export interface FullSyncInput extends TaskInput {
  tables: SelectedTable[];
  /** Create the slot at the copy's snapshot, so incremental sync starts exactly where the copy ends. */
  withSlot: boolean;
  /** Copying tables added while the task runs: their own slot and origin, and the whole publication. */
  addition?: AdditionTarget;
}

export interface AdditionTarget {
  slot: string;
  origin: string;
  /** Every table the publication must list (the running ones and the added ones). */
  publishTables: SelectedTable[];
  /**
   * Copying again a table the task already syncs (workflows/recopy-table.ts): the publication stays as it
   * is, and the destination table is emptied first whatever `conflictingTables` says.
   */
  recopy?: boolean;
}

/** The key of the copy's progress rows: an addition's never mixes with the task's first copy. */
export const progressId = (input: Pick<FullSyncInput, 'taskId' | 'addition'>): string => (input.addition ? `${input.taskId}:added` : input.taskId);

export interface FullSyncResult {
  consistentPoint: string | null;
  /** Set when some chunks were copied from a later snapshot than the slot's: the stream's catch-up end. */
  catchUpUntil: string | null;
  resumedAttempts: number;
  tables: TableProgressReport[];
}

/** A row-by-row reader fetches this many rows per query; `sourceQps` is counted in such fetches. */
export const ROWS_PER_SOURCE_QUERY = 1000;

/** The full-sync limits as one token bucket: sourceQps caps rows too (see ROWS_PER_SOURCE_QUERY). */
export function fullSyncLimits(throttle: Throttle): RateLimits {
  const f = throttle.full ?? {};
  const rowCaps = [f.rps, f.sourceQps === undefined ? undefined : f.sourceQps * ROWS_PER_SOURCE_QUERY].filter((v): v is number => v !== undefined);
  return { perSecond: rowCaps.length ? Math.min(...rowCaps) : undefined, bytesPerSecond: f.mbps === undefined ? undefined : f.mbps * 1e6 };
}

interface Snapshot {
  name: string;
  /** Keeps the snapshot alive: it must stay open and idle until every copy session has imported it. */
  holder: Client;
  consistentPoint: string | null;
}

/** A plain exported snapshot (no slot) and an LSN at or after every commit it sees. */
async function exportSnapshot(ctx: TaskContext): Promise<Snapshot & { lsn: string }> {
  const db = await connectSourceForTransaction(ctx.source);
  try {
    await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await db.query(`SELECT pg_export_snapshot() AS s, pg_current_wal_insert_lsn()::text AS lsn`);
    return { name: rows[0].s, holder: db, consistentPoint: null, lsn: rows[0].lsn };
  } catch (err) {
    await db.end().catch(() => undefined);
    throw err;
  }
}

async function planInSnapshot(ctx: TaskContext, input: FullSyncInput, snapshotName: string, destination: Client): Promise<TablePlan[]> {
  const targets = await readColumns(destination, input.tables.map((t) => qualified(t.target)));
  const destinationColumns = new Map(input.tables.map((t) => [tableKey(t.source), targets.get(qualified(t.target))!]));
  const src = await openSnapshotSession(ctx.source, snapshotName);
  try {
    const major = async (db: Client): Promise<number> => Math.floor(Number((await db.query('SHOW server_version_num')).rows[0].server_version_num) / 10000);
    const sameMajorVersion = (await major(src)) === (await major(destination));
    const full = input.spec.full;
    const plans = await planTables(src, input.tables, {
      chunkRows: full.chunkRows, chunkBytes: full.chunkMB * 1024 * 1024, destinationColumns, sameMajorVersion, mapping: input.spec,
    });
    return plans;
  } finally {
    await src.query('COMMIT').catch(() => undefined);
    await src.end().catch(() => undefined);
  }
}

/**
 * Starts over: a new slot whose exported snapshot every copy session imports — each row is then either
 * in the copy (committed before the slot's consistent point) or in the stream (after it). Destination
 * tables are emptied first when they are the task's own (conflictingTables = precheck).
 */
async function startFresh(ctx: TaskContext, input: FullSyncInput, runId: string, destination: Client): Promise<{ snapshot: Snapshot; plans: TablePlan[] }> {
  let snapshot: Snapshot;
  if (input.withSlot) {
    if (!input.addition?.recopy) await prepareSource(ctx, input.spec, input.taskId, input.addition?.publishTables ?? input.tables, namingOf(input));
    await withClient(ctx.source, (db) => dropSlotIfExists(db, ctx.slot));
    await dropOriginIfExists(destination, ctx.origin);
    const created = await createSlotWithSnapshot(ctx.source, ctx.slot);
    snapshot = { name: created.snapshotName, holder: created.connection, consistentPoint: created.consistentPoint };
  } else {
    snapshot = await exportSnapshot(ctx);
  }
  try {
    if (input.addition?.recopy) await emptyForRecopy(destination, input.tables.map((t) => t.target));
    else if (input.spec.conflictingTables === 'precheck' && input.tables.length) {
      await destination.query(`TRUNCATE ${input.tables.map((t) => qualified(t.target)).join(', ')}`);
    }
    const plans = await planInSnapshot(ctx, input, snapshot.name, destination);
    await saveNewFullSync(destination, { taskId: progressId(input), runId }, input.withSlot ? ctx.slot : null, snapshot.consistentPoint, plans);
    return { snapshot, plans };
  } catch (err) {
    await snapshot.holder.end().catch(() => undefined);
    throw err;
  }
}

/**
 * Everything the copy creates, drops or resumes is named after the task id: it must be this task's (an
 * addition's slot and origin included) before anything is touched.
 */
async function claimCopyObjects(ctx: TaskContext, input: FullSyncInput, progressKey: string, destination: Client): Promise<void> {
  const proven = input.addition && namingOf(input) === 'v1' ? await additionProven(destination, progressKey, ctx.slot) : false;
  const adopt = adoptable(input, proven);
  const origin = input.withSlot ? [{ kind: 'origin' as const, name: ctx.origin }] : [];
  await claim(destination, 'destination', input, [{ kind: 'progress', name: input.taskId }, ...origin], adopt);
  if (!input.withSlot) return;
  await withClient(ctx.source, (db) =>
    claim(db, 'source', input, [{ kind: 'capture', name: input.taskId }, { kind: 'publication', name: ctx.publication }, { kind: 'slot', name: ctx.slot }], adopt));
}

/**
 * Full sync, resumable. Progress is recorded per chunk on the destination, atomically with the chunk's
 * data. A retried attempt of the same run keeps the slot and the finished chunks, and copies the rest from
 * a NEW snapshot (the first one died with its session); the stream then replays from the slot's consistent
 * point idempotently until it passes that snapshot (catchUpUntil). docs/full-sync.md explains why this
 * converges.
 */
export async function fullSync(input: FullSyncInput): Promise<FullSyncResult> {
  // Retry windows: a chunk copied is progress; failing without it past the class's window is final.
  const window = new RetryWindow(input.spec, 'fullSync');
  try {
    return await copyWithin(input, window);
  } catch (err) {
    return window.fail(err);
  }
}

async function copyWithin(input: FullSyncInput, window: RetryWindow): Promise<FullSyncResult> {
  const ctx = input.addition ? { ...taskContext(input), slot: input.addition.slot, origin: input.addition.origin } : taskContext(input);
  const progressKey = progressId(input);
  const activity = Context.current();
  const runId = activity.info.workflowExecution?.runId ?? input.taskId;
  const activityStart = Date.now();
  const destination = await connect(ctx.destination);
  let snapshot: Snapshot | undefined;
  let stopWatching = (): void => undefined;
  const heartbeat = setInterval(() => activity.heartbeat(window.details({})), 5_000);
  try {
    await claimCopyObjects(ctx, input, progressKey, destination);
    await ensureProgressStore(destination);
    const stored = await loadFullSync(destination, progressKey);
    const slotAlive = !input.withSlot || (stored?.slot === ctx.slot && (await withClient(ctx.source, (db) => slotExists(db, ctx.slot))));
    let plans: TablePlan[];
    let done: DoneChunk[] = [];
    let consistentPoint: string | null;
    let catchUpUntil: string | null = null;
    let resumedAttempts = 0;
    if (stored && stored.runId === runId && slotAlive) {
      const fresh = await exportSnapshot(ctx);
      snapshot = fresh;
      const resumed = await recordResume(destination, progressKey, fresh.lsn);
      plans = resumed.plan;
      done = await loadDoneChunks(destination, progressKey);
      consistentPoint = resumed.consistentPoint;
      catchUpUntil = input.withSlot ? resumed.catchUpUntil : null;
      resumedAttempts = resumed.attempts - 1;
      logger.info({ task: input.taskId, chunksDone: done.length, catchUpUntil }, 'full sync resumes from recorded chunks with a new snapshot');
    } else {
      // A bad row filter fails the task before anything is created on the source (it is the spec's fault:
      // retrying cannot fix it). The precheck reports it first; this guards every other way in.
      await withClient(ctx.source, (db) => checkRowFilters(db, input.tables, input.spec)).catch((err: unknown) => {
        throw err instanceof RowFilterError ? ApplicationFailure.nonRetryable(err.message, 'InvalidRowFilter') : err;
      });
      const started = await startFresh(ctx, input, runId, destination);
      snapshot = started.snapshot;
      plans = started.plans;
      consistentPoint = started.snapshot.consistentPoint;
    }

    const chunkCount = plans.reduce((n, p) => n + p.chunks.length, 0);
    logger.info(
      { task: input.taskId, tables: plans.length, chunks: chunkCount, chunksDone: done.length, binaryTables: plans.filter((p) => p.binary).length, prepareSeconds: (Date.now() - activityStart) / 1000 },
      'full sync planned',
    );
    const limiter = new RateLimiter(fullSyncLimits(input.spec.throttle ?? {}));
    stopWatching = watchThrottle((t) => limiter.setLimits(fullSyncLimits(t)));
    const report = progressReporter(5_000);
    const byKey = new Map(plans.map((p) => [p.key, p]));
    const before = initialProgress(plans, done);
    const rowsBefore = [...before.values()].reduce((n, t) => n + t.rows, 0);
    const bytesBefore = [...before.values()].reduce((n, t) => n + t.bytes, 0);
    const attemptStartedAt = Date.now();
    const reported = new Map<string, string>();
    let lastReport = 0;
    const metrics = fullMetrics(input.taskId, { rows: rowsBefore, bytes: bytesBefore });
    let chunksSeen = done.length;
    const publish = (progress: Map<string, TableProgress>, force = false): void => {
      const chunksDone = [...progress.values()].reduce((n, t) => n + t.chunksDone, 0);
      if (chunksDone > chunksSeen) window.progressed();
      chunksSeen = chunksDone;
      const now = Date.now();
      if (!force && now - lastReport < 5_000) return;
      lastReport = now;
      metrics(progress.values());
      const overall = overallReport({ progress, plans, attemptStartedAt, rowsBeforeAttempt: rowsBefore, bytesBeforeAttempt: bytesBefore, resumedAttempts, now });
      // Each signal is a history event: carry only tables whose numbers moved since the last one.
      const tables: TableProgressReport[] = [];
      for (const p of progress.values()) {
        const r = tableReport(p, byKey.get(p.table)!, now);
        const fingerprint = `${r.rows}/${r.bytes}/${r.chunksDone}`;
        if (reported.get(p.table) === fingerprint) continue;
        reported.set(p.table, fingerprint);
        tables.push(r);
      }
      report({ kind: 'full', tables, overall }, true);
    };
    publish(before, true);
    const progress = await copyChunks({
      taskId: progressKey,
      attempt: activity.info.attempt,
      plans,
      done,
      source: ctx.source,
      destination: ctx.destination,
      snapshotName: snapshot.name,
      concurrency: input.spec.full.concurrency,
      keepExisting: input.spec.conflictingTables === 'ignore',
      limiter,
      onProgress: publish,
      signal: activity.cancellationSignal,
      // The copy sessions hold the snapshot now: its exporter (idle in a transaction, or the slot's
      // replication session) need not stay open for the whole copy.
      onSnapshotImported: () => void snapshot?.holder.end().catch(() => undefined),
    });
    if (activity.cancellationSignal.aborted) await activity.cancelled; // stopped early: not a finished copy
    publish(progress, true);
    const now = Date.now();
    logger.info({ task: input.taskId, copySeconds: (now - attemptStartedAt) / 1000 }, 'full sync copied');
    return { consistentPoint, catchUpUntil, resumedAttempts, tables: plans.map((p) => tableReport(progress.get(p.key)!, p, now)) };
  } finally {
    clearInterval(heartbeat);
    stopWatching();
    await snapshot?.holder.end().catch(() => undefined);
    await destination.end().catch(() => undefined);
  }
}
