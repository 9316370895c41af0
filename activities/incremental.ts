import { CancelledFailure, Context } from '@temporalio/activity';
import type { SelectedTable } from '../src/catalog/names';
import { withClient } from '../src/conn/connect';
import { IncrementalStream } from '../src/stream/incremental';
import { createSlot, ensurePublication, evictStaleSessions, slotExists } from '../src/stream/replication-objects';
import { logger } from '../src/log';
import { progressReporter, taskContext, type TaskInput } from './context';

export interface IncrementalInput extends TaskInput {
  tables: SelectedTable[];
}

const HEARTBEAT_MS = 3_000;

/**
 * Streams until cancelled (pause, release) and never returns on its own. Heartbeats carry the applied
 * LSN; the stream itself resumes from the destination's replication origin, which is the durable truth.
 */
export async function incrementalSync(input: IncrementalInput): Promise<void> {
  const ctx = taskContext(input);
  await withClient(ctx.source, async (db) => {
    // Without a full sync there is no snapshot slot yet: stream from "now".
    if (!(await slotExists(db, ctx.slot))) {
      await ensurePublication(db, ctx.publication, input.tables);
      await createSlot(db, ctx.slot);
    }
    const evicted = await withClient(ctx.destination, (dst) => evictStaleSessions(db, dst, ctx.slot, ctx.applicationName));
    if (evicted) logger.warn({ evicted }, 'ended sessions of a previous stream attempt that were still attached');
  });
  const abort = new AbortController();
  const stream = new IncrementalStream({ ...ctx, tables: input.tables, signal: abort.signal });
  const report = progressReporter(10_000);
  const activity = Context.current();
  let lastRows = 0;
  let lastAt = Date.now();
  const beat = setInterval(() => {
    const s = stream.stats();
    const now = Date.now();
    const rowsPerSecond = Math.round(((s.rows - lastRows) * 1000) / Math.max(1, now - lastAt));
    lastRows = s.rows;
    lastAt = now;
    activity.heartbeat({ appliedLsn: s.appliedLsn });
    report({
      kind: 'incremental',
      stats: {
        appliedLsn: s.appliedLsn, receivedLsn: s.receivedLsn, confirmedLsn: s.confirmedLsn, transactions: s.transactions,
        rows: s.rows, missingRows: s.missingRows, lagSeconds: s.lagSeconds, rowsPerSecond, reportedAt: new Date(now).toISOString(),
      },
    });
  }, HEARTBEAT_MS);
  let cancelled: unknown;
  activity.cancelled.catch((err) => {
    cancelled = err;
    abort.abort();
  });
  try {
    await stream.run();
  } finally {
    clearInterval(beat);
  }
  throw cancelled ?? new CancelledFailure('incremental stream stopped');
}
