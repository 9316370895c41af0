// The activity proxies of a task: their timeouts and retry policies are the task's retry windows.
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type * as activities from '../activities';
import type { TaskSpec } from '../src/spec/schema';

export function activitiesFor(spec: TaskSpec) {
  // Connection outages may last retry.connectionMinutes; the retry policy backs off to one try a minute.
  // The windows themselves are enforced by the activities (activities/retry-window.ts: failing without
  // progress past retry.connectionMinutes / retry.otherMinutes is final); these policies only retry.
  const retry: RetryPolicy = {
    initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s',
    nonRetryableErrorTypes: ['InvalidSpec', 'PrecheckFailed', 'RetryWindowExceeded'],
  };
  // A backstop over the longest window, should an activity never get to judge its own (a hung worker).
  const windowMs = (spec.retry.connectionMinutes + 10) * 60_000;
  const short = proxyActivities<typeof activities>({ startToCloseTimeout: '10m', scheduleToCloseTimeout: windowMs, retry });
  // The copy heartbeats every 5 s; a dead worker's copy is resumed elsewhere after 20 s of silence.
  const copy = proxyActivities<typeof activities>({ startToCloseTimeout: '7d', heartbeatTimeout: '20s', retry });
  const stream = proxyActivities<typeof activities>({
    startToCloseTimeout: '3650d',
    heartbeatTimeout: '15s',
    // A stream should come back quickly once its cause is gone: retry at least every 10 s.
    // Pause and release must know the stream has stopped before they act on the slot.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { ...retry, maximumInterval: '10s' },
  });
  // Cleanup after a fatal failure must not itself hang for the whole connection window.
  const cleanup = proxyActivities<typeof activities>({ startToCloseTimeout: '2m', scheduleToCloseTimeout: '10m', retry });
  // A question whose answer may simply be "no" (e.g. are search attributes registered): a few quick tries.
  const probe = proxyActivities<typeof activities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 3 } });
  return { short, copy, stream, cleanup, probe };
}

export type TaskActivities = ReturnType<typeof activitiesFor>;
