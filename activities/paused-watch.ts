// While a task is paused its slot keeps every change on the source, and nothing streams to notice the
// WAL piling up or the destination falling behind. This activity runs for the length of a pause: it
// samples the slot every 10 s — the WAL it retains, and the lag on the source's clock (the age of the
// newest transaction applied, once the source has WAL past the slot's confirmed position) — feeds the
// task's retained-WAL and lag alerts, and updates `status` at each sample where either moved, else once a
// minute (a quiet pause stays cheap in history). It is advisory: sampling failures are logged and
// retried, never fatal.
import { CancelledFailure, Context } from '@temporalio/activity';
import { Client } from 'pg';
import { logger } from '../src/log';
import { taskAlerts, workflowStatus } from './alert-state';
import { progressReporter, taskContext, type TaskInput } from './context';
import { RETAINED_WAL_WARN_BYTES } from './incremental';

const SAMPLE_MS = 10_000;
const HEARTBEAT_MS = 1_000;
const REPORT_MS = 60_000;
/** A move of the retained WAL worth a report before the minute is up. */
const REPORT_BYTES = 64 * 1024;

/** Runs until cancelled (resume, release); never returns on its own. */
export async function watchPausedSlot(input: TaskInput): Promise<void> {
  const ctx = taskContext(input);
  const activity = Context.current();
  const status = workflowStatus();
  const alerts = taskAlerts(input, { paused: true, status });
  // Where the stream left the lag clock (src/stream/incremental.ts, LagClock).
  const clock = (await Promise.race([status, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]))?.incremental?.lagClock;
  const since = clock ? (clock.oldestUnappliedMs ?? clock.appliedCommitMs) : null;
  const report = progressReporter(REPORT_MS);
  let db: Client | null = null;
  let reported: number | null | undefined; // retained WAL in the last report; undefined before the first
  let stopped = false;
  const sample = async (): Promise<void> => {
    try {
      if (!db) {
        const c = new Client(ctx.source);
        c.on('error', () => undefined); // a dropped connection surfaces on the next query
        await c.connect();
        if (stopped) return void (await c.end().catch(() => undefined)); // cancelled while connecting
        db = c;
      }
      const r = await db.query<{ lsn: string; retained: string | null; behind: boolean | null; now_ms: number }>(
        `SELECT pg_current_wal_lsn()::text AS lsn, (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms,
                (SELECT (pg_current_wal_lsn() - restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = $1)::text AS retained,
                (SELECT pg_current_wal_lsn() > confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1) AS behind`,
        [ctx.slot],
      );
      const row = r.rows[0]!;
      const sourceLsn = row.lsn;
      const retainedWalBytes = row.retained === null ? null : Number(row.retained);
      // Nothing is applied while paused: once the source has WAL the slot has not confirmed, the lag is the
      // age of the newest transaction applied (or of the one the stream was stuck on), on the source's clock.
      const lagSeconds = since === null ? null : row.behind ? Math.max(0, (Number(row.now_ms) - since) / 1000) : 0;
      const now = Date.now();
      alerts({ lagSeconds, retainedWalBytes }, now);
      const retainedWalWarning = retainedWalBytes !== null && retainedWalBytes > RETAINED_WAL_WARN_BYTES;
      const moved = reported === undefined || Math.abs((retainedWalBytes ?? 0) - (reported ?? 0)) >= REPORT_BYTES || !!lagSeconds;
      if (report({ kind: 'slot', sourceLsn, retainedWalBytes, retainedWalWarning, reportedAt: new Date(now).toISOString(), lagSeconds }, moved)) {
        reported = retainedWalBytes;
      }
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'sampling the paused task\'s slot failed; retrying');
      const c: Client | null = db;
      db = null;
      await c?.end().catch(() => undefined);
    }
  };
  const beat = setInterval(() => activity.heartbeat(), HEARTBEAT_MS);
  let timer: NodeJS.Timeout | undefined;
  const loop = async (): Promise<void> => {
    await sample();
    if (!stopped) timer = setTimeout(() => void loop(), SAMPLE_MS);
  };
  try {
    void loop();
    await activity.cancelled; // rejects with the cancellation: the only way out
  } finally {
    stopped = true;
    clearInterval(beat);
    clearTimeout(timer);
    await (db as Client | null)?.end().catch(() => undefined);
  }
  throw new CancelledFailure('paused watch stopped');
}
