import { ApplicationFailure } from '@temporalio/common';
import { formatReport, runPrecheck, type PrecheckOutcome } from '../src/precheck/run';
import { taskContext, type TaskInput } from './context';

/** Runs every check; a blocked precheck fails the task for good, with the report as the failure detail. */
export async function precheck(input: TaskInput): Promise<PrecheckOutcome> {
  const ctx = taskContext(input);
  const outcome = await runPrecheck(input.spec, ctx.source, ctx.destination, ctx.slot);
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
