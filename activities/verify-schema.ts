// Activity of the verifyTask workflow: schema verification (src/verify/schema.ts) of the tables the
// verification's plan compares. The task's spec comes from its workflow, as for the row comparison.
import type { SelectedTable } from '../src/catalog/names';
import { verifySchemaOf } from '../src/verify/schema';
import type { SchemaReport } from '../src/verify/schema-types';
import type { VerifyInput } from '../src/verify/types';
import { sessions, taskOf } from './verify';

export interface VerifySchemaInput {
  verify: VerifyInput;
  /** The selected tables the plan compares (tables removed by modifyObjects left out). */
  tables: SelectedTable[];
}

export async function verifySchema(input: VerifySchemaInput): Promise<SchemaReport> {
  const task = await taskOf(input.verify.task);
  return sessions(task.source, task.destination, (src, dst) => verifySchemaOf(src, dst, task.spec, input.tables));
}
