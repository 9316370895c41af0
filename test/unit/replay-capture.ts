// Workflow interceptor for replay tests (bundled into the workflow sandbox): reports every activity the
// replayed workflow schedules, with its arguments, through a sink called during replay.
import { proxySinks, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export interface CaptureSinks extends Sinks {
  capture: { activity(type: string, args: unknown[]): void };
}

const { capture } = proxySinks<CaptureSinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity(input, next) {
        capture.activity(input.activityType, input.args);
        return next(input);
      },
    },
  ],
});
