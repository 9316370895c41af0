import { ApplicationFailure } from '@temporalio/common';
import type { SelectedTable } from '../src/catalog/names';
import { withClient } from '../src/conn/connect';
import { SchemaSpecError, type SchemaPlan } from '../src/schema/ddl';
import { applyGroupsInParallel, applyStatements, planSchema, SchemaStatementError, syncSequencePositions } from '../src/schema/sync';
import { extensionStatements } from '../src/schema/extensions';
import { canRecord, createdObjectsSetup, dropLeftovers, forgetCreated, ownLeftovers, recordCreated } from '../src/schema/created-objects';
import { taskOwner } from './ownership';
import type { ClientBase } from 'pg';
import { logger } from '../src/log';
import { createNonTableObjects, planObjectsFromSource, type ObjectsOutcome } from '../src/schema/object-apply';
import { withRetryWindows } from './retry-window';
import { taskContext, type TaskInput } from './context';

export interface SchemaInput extends TaskInput {
  tables: SelectedTable[];
  /** PK/UNIQUE are created by finishSchema, after the data (the tables are new and the copy fills them). */
  deferKeys?: boolean;
}

/**
 * A statement the destination refuses for good (an object in the way, a type that is missing, data that
 * breaks a unique key) or a spec the schema cannot follow fails the task at once: retrying for
 * retry.otherMinutes would only repeat the same error.
 */
function failFastOnPermanent(err: unknown): never {
  if (err instanceof SchemaStatementError && err.permanent) throw ApplicationFailure.nonRetryable(err.message, 'SchemaStatementRejected');
  if (err instanceof SchemaSpecError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidSpec');
  throw err;
}

/** What finishSchema builds after the data; DDL text only, so it may travel through the history. */
export type AfterDataPlan = Pick<SchemaPlan, 'afterData' | 'foreignKeys' | 'skippedForeignKeys'>;

/**
 * Creates types, sequences and tables (with CHECK, and PK/UNIQUE unless deferred) on the destination.
 * Returns the after-data half of the same plan, so finishSchema does not read the catalog again (for
 * 1 000 tables planning takes seconds); the history then also shows what will be built.
 */
export async function createSchema(
  input: SchemaInput,
): Promise<{ statements: number; afterData: AfterDataPlan | undefined; skippedForExcludedColumns: string[] }> {
  return withRetryWindows(input.spec, 'createSchema', () => createSchemaOnce(input).catch(failFastOnPermanent));
}

async function createSchemaOnce(
  input: SchemaInput,
): Promise<{ statements: number; afterData: AfterDataPlan | undefined; skippedForExcludedColumns: string[] }> {
  const ctx = taskContext(input);
  const plan = await planSchema(ctx.source, input.spec, input.tables, input.deferKeys);
  if (plan.skippedForExcludedColumns.length) {
    logger.warn({ task: input.taskId, skipped: plan.skippedForExcludedColumns }, 'objects using excluded columns were not created');
  }
  // Extensions the definitions need come first (the precheck reported them as "will be created").
  const extensions = await withClient(ctx.source, (src) => withClient(ctx.destination, (dst) => extensionStatements(src, dst, input.tables)));
  await withClient(ctx.destination, async (dst) => applyStatements(dst, await recordingCreates(dst, input, [...extensions, ...plan.beforeData])));
  const afterData: AfterDataPlan = { afterData: plan.afterData, foreignKeys: plan.foreignKeys, skippedForeignKeys: plan.skippedForeignKeys };
  // Temporal refuses payloads over 2 MB: a plan too big to travel is made again by finishSchema instead.
  const fits = JSON.stringify(afterData).length <= MAX_PLAN_PAYLOAD_BYTES;
  return { statements: plan.beforeData.length, afterData: fits ? afterData : undefined, skippedForExcludedColumns: plan.skippedForExcludedColumns };
}

/**
 * With conflictingTables "precheck" the tables are the task's own: an earlier run's leftovers (created by
 * this task, never completed) are dropped and created again, and what this transaction creates is recorded
 * in it (src/schema/created-objects.ts), so a failed task can be started again without manual cleanup.
 */
async function recordingCreates(dst: ClientBase, input: SchemaInput, statements: string[]): Promise<string[]> {
  if (input.spec.conflictingTables !== 'precheck') return statements;
  if (!(await canRecord(dst))) {
    logger.warn({ task: input.taskId }, '_pg_dts.created_objects belongs to another role: the tables this task creates are not recorded, so a restart after a failure finds them as conflicts');
    return statements;
  }
  const owner = taskOwner();
  const targets = input.tables.map((t) => t.target);
  const leftovers = await ownLeftovers(dst, input.taskId, owner, targets);
  if (leftovers.length) logger.info({ task: input.taskId, leftovers: leftovers.length }, 'tables left by an earlier run of this task are created again');
  return [...createdObjectsSetup(), ...dropLeftovers(input.taskId, leftovers), ...statements, ...recordCreated(input.taskId, owner, targets)];
}

/** Well under Temporal's 2 MB payload limit, and small enough not to bloat the history. */
const MAX_PLAN_PAYLOAD_BYTES = 512 * 1024;

/**
 * After the data: deferred keys and secondary indexes (tables in parallel), foreign keys, sequence positions
 * (serial, identity, defaults' and, with a whole schema selected, its standalone sequences).
 */
export async function finishSchema(input: FinishInput): Promise<FinishOutcome> {
  return withRetryWindows(input.spec, 'finishSchema', () => finishSchemaOnce(input).catch(failFastOnPermanent));
}

type FinishInput = SchemaInput & { createObjects: boolean; plan?: AfterDataPlan };
type FinishOutcome = { statements: number; sequences: number; skippedForeignKeys: string[]; objects?: ObjectsOutcome };

async function finishSchemaOnce(input: FinishInput): Promise<FinishOutcome> {
  const ctx = taskContext(input);
  return withClient(ctx.source, (src) =>
    withClient(ctx.destination, async (dst) => {
      let statements = 0;
      let skippedForeignKeys: string[] = [];
      let objects: ObjectsOutcome | undefined;
      const t0 = Date.now();
      const seconds = (since: number): number => (Date.now() - since) / 1000;
      if (input.createObjects) {
        // From createSchema; planned here when it did not run in this task (or ran before plans were passed).
        const plan = input.plan ?? (await planSchema(ctx.source, input.spec, input.tables, input.deferKeys));
        const planned = Date.now();
        const planSeconds = seconds(t0);
        await applyGroupsInParallel(ctx.destination, plan.afterData, input.spec.full.concurrency);
        const built = Date.now();
        await applyStatements(dst, plan.foreignKeys);
        logger.info({ task: input.taskId, planSeconds, keysAndIndexesSeconds: (built - planned) / 1000, foreignKeysSeconds: seconds(built) }, 'after-data schema built');
        statements = plan.afterData.flat().length + plan.foreignKeys.length;
        skippedForeignKeys = plan.skippedForeignKeys;
        if (skippedForeignKeys.length) logger.warn({ skippedForeignKeys }, 'foreign keys to unselected tables were not created');
        // Views, routines, triggers, rules, policies: after the data, so no trigger saw the copy (docs/schema-sync.md).
        objects = await createNonTableObjects(dst, await planObjectsFromSource(ctx.source, input.spec, input.tables));
        if (objects.unsupported.length || objects.failed.length || objects.notPopulated.length) {
          logger.warn({ task: input.taskId, ...objects }, 'some views, routines, triggers, rules or policies were not created (or not populated)');
        }
      }
      const t1 = Date.now();
      const sequences = await syncSequencePositions(src, dst, input.spec, input.tables);
      logger.info({ task: input.taskId, sequences, sequencesSeconds: seconds(t1), totalSeconds: seconds(t0) }, 'sequence positions copied');
      // The tables are complete: from here on they hold the user's data, no longer leftovers to recreate.
      await forgetCreated(dst, input.taskId, taskOwner());
      return { statements, sequences, skippedForeignKeys, ...(objects ? { objects } : {}) };
    }),
  );
}
