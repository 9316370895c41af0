// Destination sequences following the source's during incremental sync: a long-running follower (every
// PG_DTS_SEQUENCE_REFRESH_SECONDS, default 60) and one pass on demand (the `sequences` update, the cutover).
import { Context } from '@temporalio/activity';
import type { SelectedTable } from '../src/catalog/names';
import { withClient } from '../src/conn/connect';
import { logger } from '../src/log';
import { followSequencePositions } from '../src/schema/sequence-follow';
import type { SequencesResult } from '../src/cutover/sequence-position';
import { taskContext, type TaskInput } from './context';

export interface SequencesInput extends TaskInput {
  tables: SelectedTable[];
  /** Values left unused past the source's next one (cutover); 0 copies the source's position. */
  margin?: number;
}

/** Worker setting: seconds between two passes of the follower (tests shorten it). */
export const SEQUENCE_REFRESH_SETTING = 'PG_DTS_SEQUENCE_REFRESH_SECONDS';

export function refreshSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env[SEQUENCE_REFRESH_SETTING]);
  return Number.isFinite(v) && v > 0 ? v : 60;
}

/** One pass: every sequence the task follows is moved forward to the source's position (plus the margin). */
export async function syncSequences(input: SequencesInput): Promise<SequencesResult> {
  const ctx = taskContext(input);
  return withClient(ctx.source, (src) =>
    withClient(ctx.destination, (dst) =>
      followSequencePositions(src, dst, input.spec, input.tables, { lockKey: `pg-dts-sequences:${input.taskId}`, margin: input.margin ?? 0 })));
}

/**
 * Runs until cancelled: a pass, then the refresh interval (heartbeating every second, so a cancellation
 * arrives at once). A failing pass is logged and tried again at the next interval: following sequences is
 * advisory and never fails the task (the cutover sets them for good).
 */
export async function followSequences(input: SequencesInput): Promise<void> {
  const activity = Context.current();
  const every = refreshSeconds() * 1000;
  for (;;) {
    try {
      const r = await syncSequences(input);
      if (r.moved.length || r.problems.length) logger.info({ task: input.taskId, moved: r.moved.length, problems: r.problems }, 'sequences followed');
    } catch (err) {
      logger.warn({ task: input.taskId, err: (err as Error).message }, 'following sequences failed; trying again at the next interval');
    }
    const until = Date.now() + every;
    while (Date.now() < until) {
      activity.heartbeat();
      await activity.sleep(Math.min(1000, until - Date.now())); // rejects with CancelledFailure when cancelled
    }
  }
}
