// The task-failure alert, built from the failure's message. The workflow calls the sendAlert activity
// (activities/alerts.ts) from its failure path because a workflow cannot do I/O.
import type { TaskSpec } from '../spec/schema';
import type { AlertEvent } from './event';
import { postAlert } from './webhook';

const MAX_MESSAGE = 2_000;

/** Sends the failure alert if the spec asks for it (onFailure defaults to true). Returns whether one was delivered. */
export async function sendFailureAlert(taskId: string, spec: Pick<TaskSpec, 'name' | 'alerts'>, reason: string, now = new Date()): Promise<boolean> {
  const alerts = spec.alerts;
  if (!alerts || alerts.onFailure === false) return false;
  const text = reason.length > MAX_MESSAGE ? `${reason.slice(0, MAX_MESSAGE)}…` : reason;
  const event: AlertEvent = {
    task: taskId, name: spec.name, kind: 'failure', state: 'firing', value: null, threshold: null, at: now.toISOString(),
    message: `task ${spec.name} failed: ${text}`,
  };
  return postAlert(alerts.webhook, event);
}
