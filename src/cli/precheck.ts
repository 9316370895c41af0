// `pg-dts precheck --spec FILE [--json]`: the task's precheck, run from this machine (passwords come from
// this machine's environment or files), starting nothing. Exit code 1 when the precheck blocks.
import { checkEndpointSecrets, clientConfig } from '../conn/endpoint';
import { pinSourceSession } from '../conn/source-session';
import { runPrecheck } from '../precheck/run';
import type { TaskSpec } from '../spec/schema';
import { applicationName, slotName, taskIdFromWorkflowId } from '../spec/task-id';
import { allTaskObjects } from '../stream/ownership';
import { temporalSettings } from '../temporal/settings';
import { formatPrecheckTable } from './precheck-table';

export async function precheckCommand(spec: TaskSpec, json: boolean): Promise<number> {
  const taskId = taskIdFromWorkflowId(spec.name);
  const app = applicationName(taskId);
  // The worker's rules for which variables and files a spec may name hold here too (with this machine's
  // settings), and a refusal comes before any connection (it exits 2, like a bad spec).
  checkEndpointSecrets('source', spec.source);
  checkEndpointSecrets('destination', spec.destination);
  const { report } = await runPrecheck(
    spec,
    () => pinSourceSession(clientConfig('source', spec.source, app)),
    () => clientConfig('destination', spec.destination, app),
    slotName(taskId),
    // `pg-dts start` starts the task with the spec's name as workflow id, in TEMPORAL_NAMESPACE.
    {
      task: {
        taskId, owner: { namespace: temporalSettings().namespace, workflowId: spec.name },
        ...allTaskObjects(taskId, 'v2', spec.syncTypes.includes('incremental')),
      },
    },
  );
  console.log(json ? JSON.stringify(report, null, 2) : formatPrecheckTable(report, process.stdout.columns || 160));
  return report.blocked ? 1 : 0;
}
