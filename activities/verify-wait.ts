// Waits for a verification the task started (continuous verification, workflows/continuous-verify.ts) and
// hands its report back. An activity rather than the child's own result because the verification may
// outlive the task's run that started it: a task that continues as new leaves it running (abandoned, by
// design) and its next run picks the result up here, by workflow id.
import { CancelledFailure, Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { VerifyReport } from '../src/verify/types';
import { failureCause } from '../workflows/failure-cause';

export type AwaitedVerification =
  | { report: VerifyReport }
  /** It failed, was cancelled or terminated, or is not there: the reason, for the task's status. */
  | { error: string; cancelled: boolean };

/** How often the wait tells the server it is alive (and learns of a cancellation). */
const HEARTBEAT_MS = 10_000;

export async function awaitVerification(input: { workflowId: string }): Promise<AwaitedVerification> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
  try {
    const report = await Promise.race([ctx.client.workflow.getHandle<() => Promise<VerifyReport>>(input.workflowId).result(), ctx.cancelled]);
    return { report };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { error: failureCause(err.cause ?? err), cancelled: err.cause instanceof CancelledFailure };
    if (err instanceof WorkflowNotFoundError) return { error: `verification ${input.workflowId} not found`, cancelled: false };
    throw err; // the wait's own cancellation, or the server out of reach (retried)
  } finally {
    clearInterval(beat);
  }
}
