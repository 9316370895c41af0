// `pg-dts precheck --spec FILE [--json]`: the task's precheck, run from this machine (passwords come from
// this machine's environment or files), starting nothing. Exit code 1 when the precheck blocks.
import { clientConfig } from '../conn/endpoint';
import { pinSearchPath } from '../conn/search-path';
import { runPrecheck } from '../precheck/run';
import type { TaskSpec } from '../spec/schema';
import { applicationName, slotName, taskIdFromWorkflowId } from '../spec/task-id';
import { formatPrecheckTable } from './precheck-table';

export async function precheckCommand(spec: TaskSpec, json: boolean): Promise<number> {
  const taskId = taskIdFromWorkflowId(spec.name);
  const app = applicationName(taskId);
  const { report } = await runPrecheck(
    spec,
    () => pinSearchPath(clientConfig('source', spec.source, app)),
    () => clientConfig('destination', spec.destination, app),
    slotName(taskId),
  );
  console.log(json ? JSON.stringify(report, null, 2) : formatPrecheckTable(report, process.stdout.columns || 160));
  return report.blocked ? 1 : 0;
}
