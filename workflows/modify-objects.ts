// `modifyObjects` inside the workflow: the order of steps that lets an added table join a running stream
// with no gap and no overlap, while the other tables keep streaming (docs/modify-objects.md).
// Orchestration only; every side effect is an activity in activities/modify.ts.
import type { AfterDataPlan } from '../activities/schema';
import type { SelectedTable } from '../src/catalog/names';
import type { TaskSpec } from '../src/spec/schema';
import { additionNames, type TaskNaming } from '../src/spec/task-id';
import type { ModificationStatus, TableStatus } from './status';
import type { TaskActivities } from './task-activities';

export interface ModificationContext {
  activities: TaskActivities;
  taskId: string;
  naming: TaskNaming;
  spec(): TaskSpec;
  tables(): SelectedTable[];
  /** Commits the new selection: the next stream attempt uses it. */
  commit(spec: TaskSpec, tables: SelectedTable[]): void;
  /** Stops the main stream (it drains what it has) and resolves once it is stopped. */
  holdStream(): Promise<void>;
  /** Lets the main stream run again (with whatever `commit` set). */
  releaseStream(): void;
  tableRows(): TableStatus[];
  report(m: ModificationStatus): void;
}

const keyOf = (t: SelectedTable): string => `${t.source.schema}.${t.source.name}`;

export async function modifyObjects(ctx: ModificationContext, objects: TaskSpec['objects'], requestedAt: string): Promise<void> {
  const { short, copy, stream } = ctx.activities;
  const status: ModificationStatus = { state: 'planning', added: [], removed: [], requestedAt, finishedAt: null, problems: [] };
  const step = (state: ModificationStatus['state']): void => {
    status.state = state;
    if (state === 'done' || state === 'refused' || state === 'failed') status.finishedAt = new Date().toISOString();
    ctx.report({ ...status });
  };
  step('planning');
  const task = { spec: ctx.spec(), taskId: ctx.taskId, naming: ctx.naming };
  const plan = await short.planModification({ ...task, tables: ctx.tables(), objects });
  status.added = plan.added.map(keyOf);
  status.removed = plan.removed.map(keyOf);
  if (plan.problems.length) {
    status.problems = plan.problems;
    step('refused');
    return;
  }
  const next: TaskSpec = { ...ctx.spec(), objects };
  const nextTask = { spec: next, taskId: ctx.taskId, naming: ctx.naming };
  const removedKeys = new Set(status.removed);
  const kept = ctx.tables().filter((t) => !removedKeys.has(keyOf(t)));

  if (plan.removed.length) {
    // Removing needs only a new table list for the stream; the publication stops sending their changes.
    step('removing');
    await ctx.holdStream();
    try {
      await short.setPublication({ ...nextTask, tables: [...kept, ...plan.added] });
      ctx.commit(next, kept);
      for (const row of ctx.tableRows()) if (removedKeys.has(row.source)) row.state = 'removed';
    } finally {
      ctx.releaseStream();
    }
  }
  if (!plan.added.length) {
    ctx.commit(next, kept);
    step('done');
    return;
  }

  const wants = (t: TaskSpec['syncTypes'][number]): boolean => next.syncTypes.includes(t);
  for (const t of plan.added) {
    const source = keyOf(t);
    const existing = ctx.tableRows().find((r) => r.source === source);
    const row: TableStatus = { source, target: `${t.target.schema}.${t.target.name}`, state: 'pending', rowsCopied: 0, bytesCopied: 0 };
    if (existing) Object.assign(existing, row);
    else ctx.tableRows().push(row);
  }
  const deferKeys = wants('schema') && next.conflictingTables === 'precheck';
  let afterData: AfterDataPlan | undefined;
  try {
    if (wants('schema')) {
      step('creating');
      afterData = (await short.createSchema({ ...nextTask, tables: plan.added, deferKeys })).afterData;
    }
    step('copying');
    const copied = await copy.fullSync({
      ...nextTask, tables: plan.added, withSlot: true,
      addition: { ...additionNames(ctx.taskId, ctx.naming), publishTables: [...kept, ...plan.added] },
    });
    await short.finishSchema({ ...nextTask, tables: plan.added, createObjects: wants('schema'), deferKeys, plan: afterData });
    // Most of the gap since the copy's snapshot is closed while the main stream still runs...
    step('catching-up');
    await stream.catchUpAddedTables({ ...nextTask, tables: plan.added, until: null });
    // ...and the rest with the main stream held, up to exactly where it will resume.
    step('joining');
    await ctx.holdStream();
    try {
      const resumeAt = await short.mainStreamPosition(nextTask);
      await stream.catchUpAddedTables({ ...nextTask, tables: plan.added, until: resumeAt });
      const joined = plan.added.map((t) => ({ ...t, joinedAt: copied.consistentPoint ?? undefined }));
      ctx.commit(next, [...kept, ...joined]);
    } finally {
      ctx.releaseStream();
    }
    await short.finishAddition(nextTask);
    step('done');
  } catch (err) {
    status.problems = [err instanceof Error ? err.message : String(err)];
    step('failed');
    throw err;
  }
}

