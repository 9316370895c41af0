import { randomUUID } from 'node:crypto';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { SelectedTable } from '../src/catalog/names';
import { withClient } from '../src/conn/connect';
import { ChangeTooLargeError, IncrementalStream, type LagClock } from '../src/stream/incremental';
import { createSlot, evictStaleSessions, slotExists } from '../src/stream/replication-objects';
import { streamSessionName } from '../src/spec/task-id';
import { logger } from '../src/log';
import { limitsOf, RateLimiter } from '../src/util/rate-limiter';
import { taskAlerts, workflowStatus } from './alert-state';
import { claimTaskObjects } from './ownership';
import { RetryWindow } from './retry-window';
import { prepareSource, refreshCapture } from './source-setup';
import { watchThrottle } from './throttle-watch';
import { incrementalMetrics } from '../src/metrics/feed';
import { progressReporter, taskContext, type TaskInput } from './context';
import type { AttemptCounters } from '../workflows/stream-totals';

export interface IncrementalInput extends TaskInput {
  tables: SelectedTable[];
  /** From a resumed full sync: replay idempotently up to this LSN (see docs/full-sync.md). */
  catchUpUntil?: string | null;
  /** Tables being copied again (workflows/recopy-table.ts): their rows and DDL are left to the copy. */
  suspended?: string[];
}

const HEARTBEAT_MS = 1_000;
/** Rates are measured and status reported over this interval (each report is also a history event at most every 10 s). */
const REPORT_MS = 3_000;
/** Retained WAL above this is flagged in `status` and logged: the stream is not keeping up, or is stopped. */
export const RETAINED_WAL_WARN_BYTES = 1024 ** 3;

/** Worker-level override of the single-change limit (tests use a small one; users never need it). */
function workerMaxChangeBytes(): number | undefined {
  const v = Number(process.env.PG_DTS_MAX_CHANGE_BYTES);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/**
 * Streams until cancelled (pause, release) and never returns on its own. Heartbeats carry the applied
 * LSN; the stream itself resumes from the destination's replication origin, which is the durable truth.
 */
export async function incrementalSync(input: IncrementalInput): Promise<void> {
  const ctx = taskContext(input);
  // A failure's clock (retry windows) is carried from attempt to attempt until a batch is applied again.
  const window = new RetryWindow(input.spec, 'incrementalSync');
  // The slot, publication and origin must be this task's before the stream creates them or ends the
  // sessions still attached to them (a task started before ownership was recorded adopts its own here).
  await claimTaskObjects(ctx, input).catch((err: unknown) => window.fail(err));
  await withClient(ctx.source, async (db) => {
    // Without a full sync there is no snapshot slot yet: stream from "now".
    if (!(await slotExists(db, ctx.slot))) {
      await prepareSource(ctx, input.spec, input.taskId, input.tables);
      await createSlot(db, ctx.slot);
    } else {
      await refreshCapture(db, ctx, input.spec, input.taskId, input.tables);
    }
    const evicted = await withClient(ctx.destination, (dst) => evictStaleSessions(db, dst, ctx.slot, streamSessionName(input.taskId)));
    if (evicted) logger.warn({ evicted }, 'ended sessions of a previous stream attempt that were still attached');
  }).catch((err: unknown) => window.fail(err));
  const abort = new AbortController();
  // Where the lag clock stands: the previous attempt's heartbeat, else the workflow's status (a new stream
  // after a pause, continue-as-new, modifyObjects; asked without holding up the start). A stream stuck from
  // its start shows its lag at once. Asked at the start only when the alerts need the status anyway (which
  // alerts are firing); else once attached, so the question never delays the first figures.
  const statusAtStart = input.spec.alerts ? workflowStatus() : undefined;
  const carryLag = (): void => {
    if (!lagFrom) void (statusAtStart ?? workflowStatus()).then((s) => stream.carryLagFrom(s?.incremental?.lagClock));
  };
  const lagFrom = (Context.current().info.heartbeatDetails as { lag?: LagClock } | undefined)?.lag;
  // The throttle starts from the spec and follows `throttle` signals (polled from the workflow's status).
  const limiter = new RateLimiter(limitsOf(input.spec.throttle?.incremental));
  const stopWatching = watchThrottle((t) => limiter.setLimits(limitsOf(t.incremental)));
  const stream = new IncrementalStream({
    ...ctx, destination: { ...ctx.destination, application_name: streamSessionName(input.taskId) }, taskId: input.taskId, tables: input.tables, mapping: input.spec, catchUpUntil: input.catchUpUntil, suspended: input.suspended, signal: abort.signal, maxChangeBytes: workerMaxChangeBytes(), lagFrom,
    beforeChange: (bytes) => (limiter.limited ? limiter.take(1, bytes) : undefined),
    // The first figures go to `status` as soon as the stream is attached, not one interval later.
    onAttached: () => {
      reportProgress(true);
      carryLag();
    },
  });
  const report = progressReporter(10_000);
  const activity = Context.current();
  // The task's counters live in the workflow, which adds up what each attempt committed (stream-totals.ts).
  // The previous attempt's last counters come with the heartbeat details (it may have died before reporting them).
  const attemptId = randomUUID();
  let seq = 0;
  const counted = (): AttemptCounters => ({ id: attemptId, seq: ++seq, counters: stream.stats().committed });
  let previous = (activity.info.heartbeatDetails as { counted?: AttemptCounters } | undefined)?.counted;
  let last = { rows: 0, bytes: 0, at: Date.now() };
  let lastEvents = '0/0/0';
  const metrics = incrementalMetrics(input.taskId);
  const alerts = taskAlerts(input, { status: statusAtStart });
  // Heartbeats every second: a cancellation (pause, release, modifyObjects) arrives with their answer.
  // A DDL failure's clock from earlier attempts is carried on until the stream gets past it (ddl-retry.ts).
  // Progress = the applied position moved past where this attempt found it (the origin's, once connected).
  let startedAt: string | null | undefined;
  const beat = setInterval(() => {
    const appliedLsn = stream.stats().appliedLsn;
    if (startedAt === undefined) {
      if (stream.connected) startedAt = appliedLsn;
    } else if (appliedLsn !== startedAt) window.progressed();
    activity.heartbeat(window.details({ appliedLsn, counted: counted(), lag: stream.lagState() }));
  }, HEARTBEAT_MS);
  const reportProgress = (attached = false, failing = false): void => {
    const s = stream.stats();
    const now = Date.now();
    const seconds = Math.max(0.001, (now - last.at) / 1000);
    const rowsPerSecond = Math.round((s.rows - last.rows) / seconds);
    const bytesPerSecond = Math.round((s.bytes - last.bytes) / seconds);
    last = { rows: s.rows, bytes: s.bytes, at: now };
    // A DDL outcome or a column left out is reported at once (rare, and what an operator must see).
    const events = `${s.ddl.applied}/${s.ddl.refused}/${s.ignoredColumns.length}`;
    const noteworthy = events !== lastEvents;
    lastEvents = events;
    const retainedWalWarning = s.retainedWalBytes !== null && s.retainedWalBytes > RETAINED_WAL_WARN_BYTES;
    if (retainedWalWarning) logger.warn({ retainedWalBytes: s.retainedWalBytes }, 'the slot retains a lot of WAL on the source');
    metrics({ ...s, rowsPerSecond, bytesPerSecond });
    alerts({ lagSeconds: s.lagSeconds, retainedWalBytes: s.retainedWalBytes }, now);
    const sent = report({
      kind: 'incremental', attempt: counted(), ...(previous ? { previous } : {}), ...(failing ? { failing } : {}),
      stats: {
        sourceLsn: s.sourceLsn, appliedLsn: s.appliedLsn, receivedLsn: s.receivedLsn, confirmedLsn: s.confirmedLsn,
        retainedWalBytes: s.retainedWalBytes, retainedWalWarning, transactions: s.transactions, batches: s.batches,
        rows: s.rows, bytes: s.bytes, missingRows: s.missingRows, catchUpMissingRows: s.catchUpMissingRows, replayedBatches: s.replayedBatches, ddl: s.ddl, ignoredColumns: s.ignoredColumns,
        ...(s.repairedKeys ? { repairedKeys: s.repairedKeys } : {}),
        lagSeconds: s.lagSeconds, lagClock: s.lagClock, rowsPerSecond, bytesPerSecond, reportedAt: new Date(now).toISOString(),
      },
    }, noteworthy || attached || failing);
    if (sent) previous = undefined;
  };
  /** The attempt's last figures, delivered before it ends (bounded: a workflow that cannot be reached never holds it). */
  const finalReport = async (failing: boolean): Promise<void> => {
    // The alerts judge this attempt's last figures too (a stuck attempt may end before its first interval).
    await Promise.race([alerts.ready, new Promise((resolve) => setTimeout(resolve, 3_000))]);
    reportProgress(false, failing);
    // Before the next attempt asks the workflow which alerts are firing, it must know of this one's.
    await Promise.race([Promise.all([report.flush(), alerts.flush()]), new Promise((resolve) => setTimeout(resolve, 3_000))]);
  };
  const reporting = setInterval(reportProgress, REPORT_MS);
  let cancelled: unknown;
  activity.cancelled.catch((err) => {
    cancelled = err;
    abort.abort();
  });
  try {
    await stream.run();
  } catch (err) {
    // Retrying cannot make a change smaller: fail the task, naming the table and LSN.
    if (err instanceof ChangeTooLargeError) throw ApplicationFailure.nonRetryable(err.message, 'ChangeTooLarge');
    // A DDL the destination refuses is an "other issue" like any other: retried inside its window, then final.
    clearInterval(reporting);
    await finalReport(true);
    window.fail(err, { appliedLsn: stream.stats().appliedLsn, counted: counted(), lag: stream.lagState() });
  } finally {
    stopWatching();
    clearInterval(beat);
    clearInterval(reporting);
  }
  await finalReport(false);
  throw cancelled ?? new CancelledFailure('incremental stream stopped');
}
