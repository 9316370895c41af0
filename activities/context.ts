// What every activity needs: the spec's endpoints turned into connection configs on this worker, the
// task's object names, and a throttled way to publish progress to the workflow's `status`.
import { Context } from '@temporalio/activity';
import type { ClientConfig } from 'pg';
import { clientConfig } from '../src/conn/endpoint';
import { pinSearchPath } from '../src/conn/search-path';
import type { TaskSpec } from '../src/spec/schema';
import { applicationName, originName, publicationName, slotName, type TaskNaming } from '../src/spec/task-id';
import { progressSignal } from '../workflows/messages';
import type { ProgressReport } from '../workflows/status';

export interface TaskInput {
  spec: TaskSpec;
  taskId: string;
  /**
   * How the task's names were derived (src/spec/task-id.ts). Absent in activities scheduled before it was
   * recorded: those tasks are 'v1'.
   */
  naming?: TaskNaming;
}

export interface TaskContext {
  source: ClientConfig;
  destination: ClientConfig;
  slot: string;
  publication: string;
  origin: string;
  /** application_name of every session the task opens, on both sides. */
  applicationName: string;
}

export function taskContext({ spec, taskId }: TaskInput): TaskContext {
  const app = applicationName(taskId);
  return {
    source: pinSearchPath(clientConfig('source', spec.source, app)),
    destination: clientConfig('destination', spec.destination, app),
    slot: slotName(taskId),
    publication: publicationName(taskId),
    origin: originName(taskId),
    applicationName: app,
  };
}

/** Signals progress to the workflow at most every `intervalMs` (each signal is a history event). */
/** Returns whether the report was sent. */
export function progressReporter(intervalMs: number): (report: ProgressReport, force?: boolean) => boolean {
  let last = 0;
  return (report, force = false) => {
    const now = Date.now();
    if (!force && now - last < intervalMs) return false;
    last = now;
    const ctx = Context.current();
    const execution = ctx.info.workflowExecution;
    if (!execution) return false;
    ctx.client.workflow
      .getHandle(execution.workflowId, execution.runId)
      .signal(progressSignal, report)
      .catch(() => undefined); // progress is best effort; the data path never waits on it
    return true;
  };
}
