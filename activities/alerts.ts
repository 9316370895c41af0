// Alerts the workflow asks for (it cannot do I/O itself): today the task-failure alert. Never fails:
// a webhook that is down must not change how the task ends.
import type { TaskInput } from './context';
import { sendFailureAlert } from '../src/alerts/failure';

export interface SendAlertInput extends TaskInput {
  kind: 'failure';
  /** The failure's message (the workflow's last error); endpoint secrets are never in it. */
  message: string;
}

/** Returns whether an alert was delivered (false when none is configured or the webhook failed). */
export async function sendAlert(input: SendAlertInput): Promise<boolean> {
  return sendFailureAlert(input.taskId, input.spec, input.message);
}
