// Alerts the workflow asks for (it cannot do I/O itself): the task-failure alert and the DDL-refused alert.
// Never fails: a webhook that is down must not change how the task ends or streams.
import type { TaskInput } from './context';
import type { DdlEntry } from '../src/ddl/ddl-log';
import { sendDdlRefusedAlert } from '../src/alerts/ddl-refused';
import { sendFailureAlert } from '../src/alerts/failure';

export type SendAlertInput = TaskInput & (
  | {
    kind: 'failure';
    /** The failure's message (the workflow's last error); endpoint secrets are never in it. */
    message: string;
  }
  | {
    kind: 'ddl-refused';
    /** Refusals not alerted yet, oldest first. */
    refusals: DdlEntry[];
  }
);

/** Returns whether an alert was delivered (false when none is configured or the webhook failed). */
export async function sendAlert(input: SendAlertInput): Promise<boolean> {
  if (input.kind === 'ddl-refused') return sendDdlRefusedAlert(input.taskId, input.spec, input.refusals);
  return sendFailureAlert(input.taskId, input.spec, input.message);
}
