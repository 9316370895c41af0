// Activities of the verifyTask workflow (workflows/verify-task.ts): plan the ranges of a task's tables,
// then compare groups of ranges. The task's spec (no password in it) and selection come from its own
// workflow (the `selection` query), so the verification's input and history carry no secret; passwords
// are resolved on this worker as for the task itself.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client as PgClient, ClientConfig } from 'pg';
import { connect } from '../src/conn/connect';
import { originProgress } from '../src/stream/replication-objects';
import { parseLsn } from '../src/util/lsn';
import { RateLimiter } from '../src/util/rate-limiter';
import type { Throttle } from '../src/spec/schema';
import type { ChunkRange } from '../src/snapshot/plan';
import { verifyRange, type RangeDeps } from '../src/verify/engine';
import { planVerify } from '../src/verify/plan';
import { prepareSession } from '../src/verify/sql';
import { verifySettings, type RangeResult, type VerifyInput, type VerifyTable } from '../src/verify/types';
import { selectionQuery, statusQuery } from '../workflows/messages';
import type { TaskStatus } from '../workflows/status';
import { taskContext } from './context';

/** Phases in which the task's copy is not complete: nothing to verify yet. */
const NOT_COPIED = new Set(['precheck', 'schema', 'full']);

export async function taskOf(workflowId: string) {
  const handle = Context.current().client.workflow.getHandle(workflowId);
  const [selection, status] = [await handle.query(selectionQuery), await handle.query(statusQuery)];
  const ctx = taskContext({ spec: selection.spec, taskId: selection.taskId });
  // Its own application_name: the task's restarts end sessions named like its own (evictStaleSessions).
  const app = `${ctx.applicationName}:verify`.slice(0, 63);
  return { ...selection, status, source: { ...ctx.source, application_name: app }, destination: { ...ctx.destination, application_name: app }, origin: ctx.origin };
}

export const isStreaming = (s: TaskStatus): boolean => s.phase === 'incremental' && !s.paused;

export async function sessions<T>(source: ClientConfig, destination: ClientConfig, fn: (src: PgClient, dst: PgClient) => Promise<T>): Promise<T> {
  const dst = await connect(destination);
  try {
    const src = await connect(source);
    try {
      await prepareSession(src);
      await prepareSession(dst);
      return await fn(src, dst);
    } finally {
      await src.end().catch(() => undefined);
    }
  } finally {
    await dst.end().catch(() => undefined);
  }
}

export interface VerificationPlan {
  taskPhase: string;
  streaming: boolean;
  tables: VerifyTable[];
  /** Ranges compared at once. */
  concurrency: number;
}

export async function planVerification(input: VerifyInput): Promise<VerificationPlan> {
  const task = await taskOf(input.task);
  if (NOT_COPIED.has(task.status.phase)) {
    throw ApplicationFailure.nonRetryable(`task ${input.task} is in phase ${task.status.phase}: verify it once its full sync is done`, 'TaskNotCopied');
  }
  const settings = verifySettings(input, task.spec);
  const tables = task.tables.filter((t) => task.status.tables.find((s) => s.source === `${t.source.schema}.${t.source.name}`)?.state !== 'removed');
  const planned = await sessions(task.source, task.destination, (src, dst) => planVerify(src, dst, tables, task.spec, settings.rangeRows));
  return { taskPhase: task.status.phase, streaming: isStreaming(task.status), tables: planned, concurrency: settings.concurrency };
}

/** The full sync's throttle, shared by the ranges compared at once (each gets its part). */
export function limiterFor(throttle: Throttle, share: number): RateLimiter {
  const full = throttle.full ?? {};
  const rows = [full.rps, full.sourceQps === undefined ? undefined : full.sourceQps * 1000].filter((v): v is number => v !== undefined);
  return new RateLimiter({
    perSecond: rows.length ? Math.min(...rows) / share : undefined,
    bytesPerSecond: full.mbps === undefined ? undefined : (full.mbps * 1e6) / share,
  });
}

export interface VerifyRangesInput {
  verify: VerifyInput;
  table: VerifyTable;
  /** Indexes of the ranges to compare (in the table's plan) and their bounds. */
  ranges: number[];
  bounds: ChunkRange[];
  /** Activities running at once (the throttle's share). */
  share: number;
}

/** Compares some ranges of one table, one after another; heartbeats, and resumes after the ranges done. */
export async function verifyRanges(input: VerifyRangesInput): Promise<{ results: RangeResult[]; durationsMs: number[] }> {
  const activity = Context.current();
  const done = (activity.info.heartbeatDetails as { results: RangeResult[]; durationsMs: number[] } | undefined) ?? { results: [], durationsMs: [] };
  const table: VerifyTable = { ...input.table, ranges: [] };
  input.ranges.forEach((r, i) => (table.ranges[r] = input.bounds[i]!));
  const task = await taskOf(input.verify.task);
  const settings = verifySettings(input.verify, task.spec);
  const limiter = limiterFor(task.status.throttle ?? {}, Math.max(1, input.share));
  return sessions(task.source, task.destination, async (src, dst) => {
    const beat = (): void => activity.heartbeat(done);
    const waitApplied = appliedWaiter(input.verify.task, dst, task.origin, settings.applyWaitSeconds, beat);
    const deps: RangeDeps = { source: src, destination: dst, waitApplied: isStreaming(task.status) ? waitApplied : null, limiter, settings, beat };
    for (const range of input.ranges) {
      if (done.results.some((r) => r.range === range)) continue;
      const started = Date.now();
      done.results.push(await verifyRange(deps, table, range));
      done.durationsMs.push(Date.now() - started);
      beat();
    }
    return done;
  });
}

/**
 * While the task streams, a comparison waits for the stream to apply past the source read: the task's
 * applied LSN (status, which heartbeats advance) or its origin on the destination. False when the task
 * stopped streaming or did not get there within `seconds`.
 */
export function appliedWaiter(task: string, dst: PgClient, origin: string, seconds: number, beat: () => void): (lsn: string) => Promise<boolean> {
  const activity = Context.current();
  let applied = 0n; // the furthest position seen applied: later waits below it need no look
  return async (lsn: string): Promise<boolean> => {
    const target = parseLsn(lsn);
    if (applied >= target) return true;
    const deadline = Date.now() + seconds * 1000;
    const handle = activity.client.workflow.getHandle(task);
    while (Date.now() < deadline) {
      const status = await handle.query(statusQuery);
      if (!isStreaming(status)) return false;
      for (const l of [status.incremental?.appliedLsn, await originProgress(dst, origin).catch(() => null)]) {
        if (l && parseLsn(l) > applied) applied = parseLsn(l);
      }
      if (applied >= target) return true;
      beat();
      await new Promise((r) => setTimeout(r, 500));
    }
    return false;
  };
}
