// While a task is paused its slot keeps every change on the source, and nothing streams to notice the
// WAL piling up. This activity runs for the length of a pause: it samples the slot's retained WAL every
// 10 s, feeds the task's retained-WAL alert, and updates `status` every minute (a pause stays cheap in
// history). It is advisory: sampling failures are logged and retried, never fatal.
import { CancelledFailure, Context } from '@temporalio/activity';
import { Client } from 'pg';
import { incrementalAlerts } from '../src/alerts/incremental';
import { postAlert } from '../src/alerts/webhook';
import { logger } from '../src/log';
import { slotRetention } from '../src/stream/replication-objects';
import { progressReporter, taskContext, type TaskInput } from './context';
import { RETAINED_WAL_WARN_BYTES } from './incremental';

const SAMPLE_MS = 10_000;
const HEARTBEAT_MS = 1_000;
const REPORT_MS = 60_000;

/** Runs until cancelled (resume, release); never returns on its own. */
export async function watchPausedSlot(input: TaskInput): Promise<void> {
  const ctx = taskContext(input);
  const activity = Context.current();
  const alerts = incrementalAlerts(input.taskId, input.spec, postAlert, { paused: true });
  const report = progressReporter(REPORT_MS);
  let db: Client | null = null;
  let first = true;
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
      report({ kind: 'slot', sourceLsn, retainedWalBytes, retainedWalWarning, reportedAt: new Date(now).toISOString() }, first);
      first = false;
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
