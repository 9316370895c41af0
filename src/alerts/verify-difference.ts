// The verify-difference alert: a continuous verification (spec `verify`) found rows that differ between
// the source and the destination, which the stream had every chance to fix (docs/verification.md, the
// re-check rule). It names the verification's workflow (its report has the ranges and counts) and the
// tables, never a row value; resolved by the first clean run after it.
import type { TaskSpec } from '../spec/schema';
import type { VerificationOutcome } from '../verify/continuous';
import type { AlertEvent, AlertState } from './event';
import { postAlert } from './webhook';

export function verifyDifferenceEvent(taskId: string, spec: Pick<TaskSpec, 'name'>, outcome: VerificationOutcome, state: AlertState, now = new Date()): AlertEvent {
  const n = outcome.differingTables;
  const more = n > outcome.tables.length ? ` and ${n - outcome.tables.length} more` : '';
  const message = state === 'firing'
    ? `task ${spec.name}: verification ${outcome.workflowId} found ${n} table${n === 1 ? '' : 's'} differing from the source ` +
      `(${outcome.tables.join(', ')}${more}; ${outcome.differences} differing range(s)); see pg-dts status, or temporal workflow show --workflow-id ${outcome.workflowId}`
    : `task ${spec.name}: verification ${outcome.workflowId} found no difference`;
  return {
    task: taskId, name: spec.name, kind: 'verify-difference', state, value: n, threshold: null, at: now.toISOString(), message,
    verification: outcome.workflowId,
  };
}

/** Returns whether the alert was delivered (false when no webhook is configured or it failed). */
export async function sendVerifyDifferenceAlert(taskId: string, spec: Pick<TaskSpec, 'name' | 'alerts'>, outcome: VerificationOutcome, state: AlertState): Promise<boolean> {
  if (!spec.alerts) return false;
  return postAlert(spec.alerts.webhook, verifyDifferenceEvent(taskId, spec, outcome, state));
}
