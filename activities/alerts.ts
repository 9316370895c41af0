// Alerts the workflow asks for (it cannot do I/O itself): the task-failure, DDL-refused and verify-difference alerts.
// Never fails: a webhook that is down must not change how the task ends or streams.
import type { TaskInput } from './context';
import type { DdlEntry } from '../src/ddl/ddl-log';
import { sendDdlRefusedAlert } from '../src/alerts/ddl-refused';
import { sendFailureAlert } from '../src/alerts/failure';
import { sendVerifyDifferenceAlert } from '../src/alerts/verify-difference';
import type { VerificationOutcome } from '../src/verify/continuous';
import type { AlertState } from '../src/alerts/event';

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
  | {
    kind: 'verify-difference';
    /** The continuous verification's outcome: counts, table names and its workflow id, no row value. */
    outcome: VerificationOutcome;
    state: AlertState;
  }
);

/** Returns whether an alert was delivered (false when none is configured or the webhook failed). */
export async function sendAlert(input: SendAlertInput): Promise<boolean> {
  if (input.kind === 'ddl-refused') return sendDdlRefusedAlert(input.taskId, input.spec, input.refusals);
  if (input.kind === 'verify-difference') return sendVerifyDifferenceAlert(input.taskId, input.spec, input.outcome, input.state);
  return sendFailureAlert(input.taskId, input.spec, input.message);
}
