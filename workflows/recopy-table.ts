// Copying a table again while the task streams (src/ddl/recopy.ts says when: a replayed DDL whose result
// depends on when and where it ran, an ATTACH PARTITION of rows the task never had). The same hand-over as
// a table added by modifyObjects (docs/modify-objects.md), with the table's rows and DDL left to its copy
// ("suspended") instead of removed from the selection: the main stream stops applying it, the destination
// table is emptied and copied from a new snapshot C, a catch-up stream applies its changes from C up to
// where the held main stream resumes (P), and the main stream takes it back from P, skipping what
// committed before C. Orchestration only; every side effect is an activity.
import { targetTableName, type SelectedTable, type TableRef } from '../src/catalog/names';
import type { TaskSpec } from '../src/spec/schema';
import type { RecopyRequest } from '../src/ddl/recopy';
import { additionNames, type TaskNaming } from '../src/spec/task-id';
import type { RecopyStatus, TableStatus } from './status';
import type { TaskActivities } from './task-activities';

export interface RecopyContext {
  activities: TaskActivities;
  taskId: string;
  naming: TaskNaming;
  spec(): TaskSpec;
  tables(): SelectedTable[];
  /** The next stream attempt uses these tables and leaves the suspended ones alone. */
  commit(tables: SelectedTable[], suspended: string[]): void;
  suspended(): string[];
  holdStream(): Promise<void>;
  releaseStream(): void;
  tableRows(): TableStatus[];
  report(r: RecopyStatus): void;
}

export const tableKeyOf = (t: TableRef): string => `${t.schema}.${t.name}`;

/** Requests still to answer: one per table, none a finished copy already covers. */
export function newRecopies(queued: RecopyRequest[], reported: RecopyRequest[] | undefined, copiedAt: Record<string, string>, busy: string[]): RecopyRequest[] {
  const out: RecopyRequest[] = [];
  for (const r of reported ?? []) {
    const key = tableKeyOf(r.table);
    if (busy.includes(key) || queued.some((q) => tableKeyOf(q.table) === key) || out.some((q) => tableKeyOf(q.table) === key)) continue;
    const done = copiedAt[key];
    if (done !== undefined && compareLsn(r.lsn, done) < 0) continue;
    out.push(r);
  }
  return out;
}

/** LSN order without BigInt arithmetic on the hot path of a workflow (text `X/Y`, hex). */
export function compareLsn(a: string, b: string): number {
  const [ah, al] = a.split('/').map((p) => parseInt(p, 16));
  const [bh, bl] = b.split('/').map((p) => parseInt(p, 16));
  return ah! !== bh! ? ah! - bh! : al! - bl!;
}

/** Copies `request.table` again; returns the copy's consistent point (requests before it are answered). */
export async function recopyTable(ctx: RecopyContext, request: RecopyRequest): Promise<string | null> {
  const { short, copy, stream } = ctx.activities;
  const key = tableKeyOf(request.table);
  const spec = ctx.spec();
  const task = { spec, taskId: ctx.taskId, naming: ctx.naming };
  const listed = ctx.tables().find((t) => tableKeyOf(t.source) === key);
  const table: SelectedTable = { source: request.table, target: listed?.target ?? targetTableName(spec, request.table) };
  const status: RecopyStatus = { table: key, reason: request.reason, requestedAt: request.lsn, state: 'holding', startedAt: new Date().toISOString(), finishedAt: null, problems: [] };
  const step = (state: RecopyStatus['state']): void => {
    status.state = state;
    if (state === 'done' || state === 'failed') status.finishedAt = new Date().toISOString();
    ctx.report({ ...status });
  };
  let row = ctx.tableRows().find((r) => r.source === key);
  if (!row) {
    row = { source: key, target: tableKeyOf(table.target), state: 'pending', rowsCopied: 0, bytesCopied: 0 };
    ctx.tableRows().push(row);
  }
  try {
    step('holding');
    await ctx.holdStream();
    try {
      ctx.commit(ctx.tables(), [...ctx.suspended(), key]);
    } finally {
      ctx.releaseStream();
    }
    step('copying');
    Object.assign(row, { state: 'copying', rowsCopied: 0, bytesCopied: 0 });
    const copied = await copy.fullSync({
      ...task, tables: [table], withSlot: true,
      addition: { ...additionNames(ctx.taskId, ctx.naming), publishTables: [], recopy: true },
    });
    step('catching-up');
    await stream.catchUpAddedTables({ ...task, tables: [table], until: null });
    step('joining');
    await ctx.holdStream();
    try {
      const resumeAt = await short.mainStreamPosition(task);
      await stream.catchUpAddedTables({ ...task, tables: [table], until: resumeAt });
      const joined: SelectedTable = { ...table, joinedAt: copied.consistentPoint ?? undefined };
      const others = ctx.tables().filter((t) => tableKeyOf(t.source) !== key);
      // A table adopted by the stream (created in a whole-selected schema) is listed from now on, with its join point.
      ctx.commit([...others, joined], ctx.suspended().filter((k) => k !== key));
      if (copied.consistentPoint) await short.closeRecopyRequest({ ...task, table: request.table, copiedAt: copied.consistentPoint });
    } finally {
      ctx.releaseStream();
    }
    await short.finishAddition(task);
    const report = copied.tables[0];
    Object.assign(row, { state: 'copied', rowsCopied: report?.rows ?? row.rowsCopied, bytesCopied: report?.bytes ?? row.bytesCopied });
    step('done');
    return copied.consistentPoint;
  } catch (err) {
    status.problems = [err instanceof Error ? err.message : String(err)];
    step('failed');
    throw err;
  }
}
