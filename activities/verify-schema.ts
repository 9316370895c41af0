// Activity of the verifyTask workflow: schema verification (src/verify/schema.ts) of the tables the
// verification's plan compares. The task's spec comes from its workflow, as for the row comparison; while
// the task streams, a difference is re-checked once the stream applied past the source's read.
import { Context } from '@temporalio/activity';
import type { SelectedTable } from '../src/catalog/names';
import { verifySchemaOf } from '../src/verify/schema';
import { schemaNotCompared } from '../src/verify/schema-compare';
import type { SchemaReport } from '../src/verify/schema-types';
import { verifySettings, type VerifyInput } from '../src/verify/types';
import { appliedWaiter, isStreaming, sessions, taskOf } from './verify';

export interface VerifySchemaInput {
  verify: VerifyInput;
  /** The selected tables the plan compares (tables removed by modifyObjects left out). */
  tables: SelectedTable[];
}

/**
 * A server refusing a catalog query for good (syntax or undefined object 42xxx, feature not supported
 * 0Axxx: a version without a function the queries use) will refuse it on every retry.
 */
const refusedForGood = (err: unknown): boolean => /^(42|0A)/.test(String((err as { code?: unknown }).code ?? ''));

export async function verifySchema(input: VerifySchemaInput): Promise<SchemaReport> {
  const activity = Context.current();
  const started = Date.now();
  const task = await taskOf(input.verify.task);
  const settings = verifySettings(input.verify, task.spec);
  const beat = (): void => activity.heartbeat();
  try {
    return await sessions(task.source, task.destination, (source, destination) => verifySchemaOf({
      source, destination, spec: task.spec, tables: input.tables, maxAttempts: settings.maxAttempts, beat,
      waitApplied: isStreaming(task.status) ? appliedWaiter(input.verify.task, destination, task.origin, settings.applyWaitSeconds, beat) : null,
    }));
  } catch (err) {
    // The rows are still compared, and the report says the schema was not.
    if (refusedForGood(err)) return schemaNotCompared((err as Error).message, Date.now() - started);
    throw err;
  }
}
