// The task's side of the ownership registry (src/stream/ownership.ts): who this task is (the Temporal
// namespace and workflow id of the workflow that scheduled the activity, never taken from the input), which
// objects it may take over, and claims that fail the task for good when another task owns the names.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ClientBase } from 'pg';
import { withClient } from '../src/conn/connect';
import { additionNames, type TaskNaming } from '../src/spec/task-id';
import { claimObjects, OwnershipError, taskObjects, type OwnedObject, type Owner } from '../src/stream/ownership';
import type { TaskContext, TaskInput } from './context';

/** The workflow this activity works for: the owner recorded for everything it creates. */
export function taskOwner(): Owner {
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId;
  if (!workflowId) throw ApplicationFailure.nonRetryable('pg-dts activities run only for a syncTask workflow', 'NotOwner');
  return { namespace: info.namespace, workflowId };
}

/** Activities scheduled before the task's naming was recorded in its input belong to a 'v1' task. */
export const namingOf = (input: Pick<TaskInput, 'naming'>): TaskNaming => input.naming ?? 'v1';

/**
 * What a task may take over when the registry has no row for it but the object exists. A task started before
 * ownership was recorded ('v1') created its main objects unrecorded: it adopts them (a task started since has
 * no such objects — its precheck refused to start while any existed, and it records each before creating
 * it). Its legacy addition slot and origin (`<slot>_add`) are the main names of another task whose id ends in
 * `_add`: they are taken over only when `additionProven` (this task's addition progress on its destination
 * names that slot). A 'v2' task adopts nothing.
 */
export function adoptable(input: Pick<TaskInput, 'naming' | 'taskId'>, additionProven = false): (o: OwnedObject) => boolean {
  if (namingOf(input) === 'v2') return () => false;
  const legacy = additionNames(input.taskId, 'v1');
  return (o) => (o.name === legacy.slot || o.name === legacy.origin ? additionProven : true);
}

/** The addition's slot and origin for this task's naming. */
export const additionObjects = (input: Pick<TaskInput, 'naming' | 'taskId'>): { slot: string; origin: string } => additionNames(input.taskId, namingOf(input));

/** Whether this task's addition progress (on its destination) was recorded for `slot`: proof the addition made it. */
export async function additionProven(destination: ClientBase, progressKey: string, slot: string): Promise<boolean> {
  const table = await destination.query<{ ok: boolean }>(
    `SELECT coalesce(bool_and(has_table_privilege(c.oid, 'SELECT')), false) AS ok
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '_pg_dts' AND c.relname = 'full_sync'`,
  );
  if (!table.rows[0]!.ok) return false;
  const r = await destination.query('SELECT 1 FROM _pg_dts.full_sync WHERE task_id = $1 AND slot = $2', [progressKey, slot]);
  return (r.rowCount ?? 0) > 0;
}

/** Claims `objects` for this task; another task's (or an unrecorded one this task may not adopt) fails it for good. */
export async function claim(
  db: ClientBase, side: 'source' | 'destination', input: Pick<TaskInput, 'taskId' | 'naming'>, objects: OwnedObject[], adopt = adoptable(input),
): Promise<void> {
  try {
    await claimObjects(db, side, taskOwner(), input.taskId, objects, adopt);
  } catch (err) {
    if (err instanceof OwnershipError) throw ApplicationFailure.nonRetryable(err.message, 'NotOwner');
    throw err;
  }
}

/**
 * Claims the task's main objects on both sides (slot, publication, DDL capture; origin, progress): before a
 * stream creates its slot or origin, or ends sessions still attached to them.
 */
export async function claimTaskObjects(ctx: TaskContext, input: Pick<TaskInput, 'taskId' | 'naming'>): Promise<void> {
  const objects = taskObjects(input.taskId, ctx);
  await withClient(ctx.source, (db) => claim(db, 'source', input, objects.source));
  await withClient(ctx.destination, (db) => claim(db, 'destination', input, objects.destination));
}
