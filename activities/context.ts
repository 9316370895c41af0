// What every activity needs: the spec's endpoints turned into connection configs on this worker, the
// task's object names, and a throttled way to publish progress to the workflow's `status`.
import { Context } from '@temporalio/activity';
import type { ClientConfig } from 'pg';
import { clientConfig } from '../src/conn/endpoint';
import { pinSourceSession } from '../src/conn/source-session';
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
    source: pinSourceSession(clientConfig('source', spec.source, app)),
    destination: clientConfig('destination', spec.destination, app),
    slot: slotName(taskId),
    publication: publicationName(taskId),
    origin: originName(taskId),
    applicationName: app,
  };
}

export interface ProgressReporter {
  /** Signals progress to the workflow at most every `intervalMs` (each signal is a history event). Returns whether the report was sent. */
  (report: ProgressReport, force?: boolean): boolean;
  /** Resolves once every report sent so far has been delivered (or has failed). */
  flush(): Promise<void>;
}

export function progressReporter(intervalMs: number): ProgressReporter {
  let last = 0;
  // One signal at a time, in order: a failing attempt's figures must not overtake its retry report.
  let chain: Promise<void> = Promise.resolve();
  const reporter = (report: ProgressReport, force = false): boolean => {
    const now = Date.now();
    if (!force && now - last < intervalMs) return false;
    last = now;
    const ctx = Context.current();
    const execution = ctx.info.workflowExecution;
    if (!execution) return false;
    const handle = ctx.client.workflow.getHandle(execution.workflowId, execution.runId);
    // progress is best effort; the data path never waits on it
    chain = chain.then(() => handle.signal(progressSignal, report)).catch(() => undefined);
    return true;
  };
  return Object.assign(reporter, { flush: () => chain });
}
