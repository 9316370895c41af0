// The task's lag and retained-WAL alerts as an activity evaluates them. Which alerts are firing lives in
// the workflow's status, not in the activity: the evaluator starts from `status.firingAlerts` and reports
// every transition at once. So a stream restarted (retry, pause, resume, modifyObjects, another worker)
// neither fires a still-true alert a second time nor forgets to resolve one that cleared meanwhile.
import { Context } from '@temporalio/activity';
import { incrementalAlerts, type AlertSample } from '../src/alerts/incremental';
import type { TaskStatus } from '../workflows/status';
import { postAlert } from '../src/alerts/webhook';
import { logger } from '../src/log';
import { statusQuery } from '../workflows/messages';
import { progressReporter, type TaskInput } from './context';

const QUERY_TIMEOUT_MS = 5_000;

/** The workflow's status (what an activity starting carries on from); null when it cannot be asked (logged). */
export async function workflowStatus(): Promise<TaskStatus | null> {
  const execution = Context.current().info.workflowExecution;
  if (!execution) return null;
  const handle = Context.current().client.workflow.getHandle(execution.workflowId, execution.runId);
  let timer: NodeJS.Timeout | undefined;
  try {
    const status = await Promise.race([
      handle.query(statusQuery),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${QUERY_TIMEOUT_MS} ms`)), QUERY_TIMEOUT_MS))),
    ]);
    return status;
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'could not read the task\'s status (firing alerts, lag clock); starting afresh');
    return null;
  } finally {
    clearTimeout(timer);
  }
}

export interface TaskAlerts {
  (sample: AlertSample, nowMs: number): void;
  /** Resolves once the evaluator knows which alerts are firing (an attempt that fails at once waits for it). */
  ready: Promise<void>;
  /** Resolves once every transition reported so far reached the workflow (the next attempt reads it there). */
  flush(): Promise<void>;
}

/**
 * Returns the evaluator to call with every sample. Samples before the workflow has answered which alerts
 * are firing (milliseconds) are skipped rather than judged without that state.
 */
export function taskAlerts(input: TaskInput, opts: { paused?: boolean; status?: Promise<TaskStatus | null> } = {}): TaskAlerts {
  if (!input.spec.alerts) return Object.assign(() => undefined, { ready: Promise.resolve(), flush: () => Promise.resolve() });
  const report = progressReporter(0);
  let evaluate: ((sample: AlertSample, nowMs: number) => void) | null = null;
  const ready = (opts.status ?? workflowStatus()).then((status) => {
    evaluate = incrementalAlerts(input.taskId, input.spec, postAlert, {
      paused: opts.paused, firing: status?.firingAlerts ?? [], onTransition: (alert, state) => void report({ kind: 'alert', alert, state }, true),
    });
  });
  return Object.assign((sample: AlertSample, nowMs: number) => evaluate?.(sample, nowMs), { ready, flush: () => report.flush() });
}
