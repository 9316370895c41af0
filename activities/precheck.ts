import { ApplicationFailure } from '@temporalio/common';
import { clientConfig } from '../src/conn/endpoint';
import { pinSourceSession } from '../src/conn/source-session';
import { formatReport, runPrecheck, type PrecheckOutcome } from '../src/precheck/run';
import { applicationName, slotName } from '../src/spec/task-id';
import { allTaskObjects } from '../src/stream/ownership';
import type { TaskInput } from './context';
import { refuseSecretsNotAllowed } from './secrets';
import { namingOf, taskOwner } from './ownership';

/** Runs every check; a blocked precheck fails the task for good, with the report as the failure detail. */
export async function precheck(input: TaskInput): Promise<PrecheckOutcome> {
  const { spec, taskId } = input;
  const app = applicationName(taskId);
  refuseSecretsNotAllowed(spec); // before any connection
  // Endpoints are resolved inside the precheck: a password variable missing on this worker is reported
  // as a failed source-connect/destination-connect item, like any other way of not getting in.
  const outcome = await runPrecheck(
    spec,
    () => pinSourceSession(clientConfig('source', spec.source, app)),
    () => clientConfig('destination', spec.destination, app),
    slotName(taskId),
    // Its names must be free or this workflow's own (task-id-unique).
    { task: { taskId, owner: taskOwner(), ...allTaskObjects(taskId, namingOf(input), spec.syncTypes.includes('incremental')) } },
  );
  if (outcome.report.blocked) {
    throw ApplicationFailure.create({
      type: 'PrecheckFailed',
      nonRetryable: true,
      message: `precheck failed:\n${formatReport(outcome.report)}`,
      details: [outcome.report],
    });
  }
  return outcome;
}
