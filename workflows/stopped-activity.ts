// A stream activity that was asked to stop (pause, hold, release) while its worker was dying cannot
// confirm the cancellation: Temporal then ends it with its heartbeat timeout instead of a cancellation,
// and no retry follows (retries stop once cancellation is requested). That activity has stopped all the
// same — its worker is gone, and the next stream start ends whatever session it left — so the task goes
// on; before, the timeout failed the task (found by test/e2e/topologies.test.ts: a SIGKILL right after a
// pause or a modifyObjects hold).
import { ActivityFailure, isCancellation, patched, TimeoutFailure } from '@temporalio/workflow';

export const STOPPED_BY_TIMEOUT_PATCH = 'pg-dts-cancelled-stream-timeout';

/** The awaited activity ended because it was cancelled (or timed out after being asked to stop). */
export function stoppedAfterCancel(err: unknown): boolean {
  if (isCancellation(err)) return true;
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && patched(STOPPED_BY_TIMEOUT_PATCH);
}
