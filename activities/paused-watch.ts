// While a task is paused its slot keeps every change on the source, and nothing streams to notice the
// WAL piling up. This activity runs for the length of a pause: it samples the slot's retained WAL every
// 10 s, feeds the task's retained-WAL alert, and updates `status` when the retained WAL moved by 16 MB or
// more, else once a minute (a quiet pause stays cheap in history). It is advisory: sampling failures are
// logged and retried, never fatal.
import { CancelledFailure, Context } from '@temporalio/activity';
import { Client } from 'pg';
import { logger } from '../src/log';
import { slotRetention } from '../src/stream/replication-objects';
import { taskAlerts } from './alert-state';
import { progressReporter, taskContext, type TaskInput } from './context';
import { RETAINED_WAL_WARN_BYTES } from './incremental';

const SAMPLE_MS = 10_000;
const HEARTBEAT_MS = 1_000;
const REPORT_MS = 60_000;
/** A move of the retained WAL worth a report before the minute is up. */
const REPORT_BYTES = 16 * 1024 * 1024;

/** Runs until cancelled (resume, release); never returns on its own. */
export async function watchPausedSlot(input: TaskInput): Promise<void> {
  const ctx = taskContext(input);
  const activity = Context.current();
  const alerts = taskAlerts(input, { paused: true });
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
      const { sourceLsn, retainedWalBytes } = await slotRetention(db, ctx.slot);
      const now = Date.now();
      alerts({ lagSeconds: null, retainedWalBytes }, now);
      const retainedWalWarning = retainedWalBytes !== null && retainedWalBytes > RETAINED_WAL_WARN_BYTES;
      const moved = reported === undefined || Math.abs((retainedWalBytes ?? 0) - (reported ?? 0)) >= REPORT_BYTES;
      if (report({ kind: 'slot', sourceLsn, retainedWalBytes, retainedWalWarning, reportedAt: new Date(now).toISOString() }, moved)) {
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
