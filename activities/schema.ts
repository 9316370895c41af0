import type { SelectedTable } from '../src/catalog/names';
import { withClient } from '../src/conn/connect';
import { applyStatements, planSchema, syncSequenceValues } from '../src/schema/sync';
import { logger } from '../src/log';
import { taskContext, type TaskInput } from './context';

export interface SchemaInput extends TaskInput {
  tables: SelectedTable[];
}

/** Creates types, sequences and tables (with PK/UNIQUE/CHECK) on the destination. */
export async function createSchema(input: SchemaInput): Promise<{ statements: number }> {
  const ctx = taskContext(input);
  const plan = await withClient(ctx.source, (src) => planSchema(src, input.spec, input.tables));
  await withClient(ctx.destination, (dst) => applyStatements(dst, plan.beforeData));
  return { statements: plan.beforeData.length };
}

/** After the data: secondary indexes, foreign keys and sequence positions. */
export async function finishSchema(input: SchemaInput & { createObjects: boolean }): Promise<{ statements: number; sequences: number; skippedForeignKeys: string[] }> {
  const ctx = taskContext(input);
  return withClient(ctx.source, (src) =>
    withClient(ctx.destination, async (dst) => {
      let statements = 0;
      let skippedForeignKeys: string[] = [];
      if (input.createObjects) {
        const plan = await planSchema(src, input.spec, input.tables);
        await applyStatements(dst, plan.afterData);
        statements = plan.afterData.length;
        skippedForeignKeys = plan.skippedForeignKeys;
        if (skippedForeignKeys.length) logger.warn({ skippedForeignKeys }, 'foreign keys to unselected tables were not created');
      }
      const sequences = await syncSequenceValues(src, dst, input.tables);
      return { statements, sequences, skippedForeignKeys };
    }),
  );
}
