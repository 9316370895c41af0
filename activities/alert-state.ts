// The task's lag and retained-WAL alerts as an activity evaluates them. Which alerts are firing lives in
// the workflow's status, not in the activity: the evaluator starts from `status.firingAlerts` and reports
// every transition at once. So a stream restarted (retry, pause, resume, modifyObjects, another worker)
// neither fires a still-true alert a second time nor forgets to resolve one that cleared meanwhile.
import { Context } from '@temporalio/activity';
import { incrementalAlerts, type AlertSample } from '../src/alerts/incremental';
import type { ThresholdAlertKind } from '../src/alerts/event';
import { postAlert } from '../src/alerts/webhook';
import { logger } from '../src/log';
import { statusQuery } from '../workflows/messages';
import { progressReporter, type TaskInput } from './context';

const QUERY_TIMEOUT_MS = 5_000;

/** The alerts firing now according to the workflow; none when it cannot be asked (logged). */
async function firingNow(): Promise<ThresholdAlertKind[]> {
  const execution = Context.current().info.workflowExecution;
  if (!execution) return [];
  const handle = Context.current().client.workflow.getHandle(execution.workflowId, execution.runId);
  let timer: NodeJS.Timeout | undefined;
  try {
    const status = await Promise.race([
      handle.query(statusQuery),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${QUERY_TIMEOUT_MS} ms`)), QUERY_TIMEOUT_MS))),
    ]);
    return status.firingAlerts ?? [];
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'could not read which alerts are firing; evaluating them afresh');
    return [];
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Returns the evaluator to call with every sample. Samples before the workflow has answered which alerts
 * are firing (milliseconds) are skipped rather than judged without that state.
 */
export function taskAlerts(input: TaskInput, opts: { paused?: boolean } = {}): (sample: AlertSample, nowMs: number) => void {
  if (!input.spec.alerts) return () => undefined;
  const report = progressReporter(0);
  let evaluate: ((sample: AlertSample, nowMs: number) => void) | null = null;
  void firingNow().then((firing) => {
    evaluate = incrementalAlerts(input.taskId, input.spec, postAlert, {
      ...opts, firing, onTransition: (alert, state) => void report({ kind: 'alert', alert, state }, true),
    });
  });
  return (sample, nowMs) => evaluate?.(sample, nowMs);
}
