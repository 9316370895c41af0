// A running activity cannot be handed new parameters, so it learns of `throttle` signals by polling its
// own workflow's `status` query (DESIGN.md 4). Call from inside an activity.
import { Context } from '@temporalio/activity';
import { logger } from '../src/log';
import type { Throttle } from '../src/spec/schema';
import { statusQuery } from '../workflows/messages';

/**
 * Polls `status.throttle` every `intervalMs` (first poll at once) and calls `onChange` with the setting
 * whenever it differs from the last one seen; the first successful poll always reports, so a signal sent
 * before this activity (re)started is picked up. Poll errors are logged and retried at the next interval:
 * the data path keeps its current limits meanwhile. Returns a function that stops the polling.
 */
export function watchThrottle(onChange: (t: Throttle) => void, intervalMs = 1000): () => void {
  const ctx = Context.current(); // captured now: the timers below run outside the activity's call
  const execution = ctx.info.workflowExecution;
  if (!execution) throw new Error('watchThrottle must run in an activity started by a workflow');
  const handle = ctx.client.workflow.getHandle(execution.workflowId, execution.runId);
  let last: string | undefined;
  let lastError: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const poll = async (): Promise<void> => {
    try {
      const status = await handle.query(statusQuery);
      lastError = undefined;
      const throttle = status.throttle ?? {}; // a workflow started before `throttle` existed: unlimited
      const seen = JSON.stringify(throttle);
      if (!stopped && seen !== last) {
        last = seen;
        onChange(throttle);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Log a failure once, not every second while it lasts.
      if (message !== lastError) logger.warn({ workflowId: execution.workflowId, err: message }, 'throttle poll failed; keeping current limits');
      lastError = message;
    }
  };

  // setTimeout chained after each poll, not setInterval: a slow query must not pile up more queries.
  const loop = (): void => {
    void poll().finally(() => {
      if (!stopped) timer = setTimeout(loop, intervalMs).unref();
    });
  };
  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
