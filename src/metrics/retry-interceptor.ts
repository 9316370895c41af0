// Counts retries for every activity without touching the activities: Temporal's activity info has the
// attempt number but not the previous failure, so this interceptor remembers, per activity id, the class
// of the last failure this worker process saw. A retry that lands on another worker (or after a
// restart) cannot know it and is counted as `other`.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { classifyFailure, type FailureClass } from '../retry/classify';
import { activeMetrics } from './registry';

const MAX_REMEMBERED = 10_000;
const lastFailure = new Map<string, FailureClass>();

export const retryMetricsInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const info = ctx.info;
      const key = `${info.workflowExecution?.workflowId ?? ''}/${info.activityId}`;
      const arg = input.args[0] as { taskId?: unknown } | undefined;
      const task = typeof arg?.taskId === 'string' ? arg.taskId : (info.workflowExecution?.workflowId ?? 'unknown');
      if (info.attempt > 1) activeMetrics()?.retries.inc({ task, class: lastFailure.get(key) ?? 'other', activity: info.activityType });
      try {
        const result = await next(input);
        lastFailure.delete(key);
        return result;
      } catch (err) {
        lastFailure.delete(key); // re-insert: Map order is insertion order, so the oldest goes first below
        lastFailure.set(key, classifyFailure(err));
        if (lastFailure.size > MAX_REMEMBERED) lastFailure.delete(lastFailure.keys().next().value!);
        throw err;
      }
    },
  },
});
