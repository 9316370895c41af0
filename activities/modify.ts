// Changing the selection of a running task (`modifyObjects`). The workflow sequences these steps; see
// docs/modify-objects.md for why an added table joins the stream with no gap and no overlap:
//   plan -> (removed: re-target the publication) -> added: schema, copy on a slot of its own (consistent
//   point C), catch up from that slot while the main stream goes on -> hold the main stream at its
//   applied position P -> catch up to exactly P -> join (the main stream applies the table from P on, and
//   skips its transactions before C) -> drop the addition's slot and origin.
import { Context } from '@temporalio/activity';
import type { ClientConfig } from 'pg';
import { resolveSelection } from '../src/catalog/select';
import {
  columnMapper, rowFilterOf, tableEntryFor, tableKey, targetTableName, type SelectedTable, type TableRef,
} from '../src/catalog/names';
import { withClient } from '../src/conn/connect';
import { logger } from '../src/log';
import { formatReport, runPrecheck } from '../src/precheck/run';
import type { TaskSpec } from '../src/spec/schema';
import { forgetFullSync } from '../src/snapshot/progress-store';
import { IncrementalStream } from '../src/stream/incremental';
import { forgetObjects, ownedObjects, describeConflict, type OwnedObject } from '../src/stream/ownership';
import { dropOriginIfExists, dropSlotIfExists, originProgress } from '../src/stream/replication-objects';
import { progressId } from './full';
import { additionObjects, additionProven, adoptable, claim, namingOf, taskOwner } from './ownership';
import { withRetryWindows } from './retry-window';
import { adoptedSchemas, prepareSource } from './source-setup';
import { taskContext, type TaskInput } from './context';

export interface ModificationPlan {
  added: SelectedTable[];
  removed: SelectedTable[];
  /** Why the modification is refused (empty: accepted). */
  problems: string[];
}

/** A spec selecting exactly `tables` (with their own entries), for prechecking only what is new. */
function specFor(spec: TaskSpec, tables: SelectedTable[]): TaskSpec {
  const schemas = [...new Set(tables.map((t) => t.source.schema))];
  return {
    ...spec,
    objects: schemas.map((schema) => {
      const entry = spec.objects.find((o) => o.schema === schema)!;
      const { excludeTables: _unused, ...rest } = entry;
      return {
        ...rest,
        tables: tables.filter((t) => t.source.schema === schema).map((t) => tableEntryFor(spec, t.source) ?? t.source.name),
      };
    }),
  };
}

/** What must not change for a table that stays selected: where it goes and what it carries. */
function fingerprint(spec: TaskSpec, t: SelectedTable): string {
  const entry = tableEntryFor(spec, t.source);
  const map = columnMapper(spec, t.source);
  return JSON.stringify([
    targetTableName(spec, t.source), rowFilterOf(spec, t.source) ?? null, entry?.excludeColumns ?? [], entry?.columns ?? {},
    map('\u0000probe'), // nameCase / renameRules for columns
  ]);
}

export async function planModification(input: TaskInput & { tables: SelectedTable[]; objects: TaskSpec['objects'] }): Promise<ModificationPlan> {
  return withRetryWindows(input.spec, 'planModification', () => planModificationOnce(input));
}

async function planModificationOnce(input: TaskInput & { tables: SelectedTable[]; objects: TaskSpec['objects'] }): Promise<ModificationPlan> {
  const ctx = taskContext(input);
  const next: TaskSpec = { ...input.spec, objects: input.objects };
  const selection = await withClient(ctx.source, (db) => resolveSelection(db, next));
  const problems = selection.missing.map((m) => `objects: ${m} does not exist on the source`);
  const current = new Map(input.tables.map((t) => [tableKey(t.source), t]));
  const wanted = new Map(selection.tables.map((t) => [tableKey(t.source), t]));
  // A table the source created in a schema the task selects whole is synced already (adopted by the capture
  // and the stream, not listed): it is not added again.
  const adopted = (ref: TableRef): boolean => adoptedSchemas(input.spec).some((a) => a.schema === ref.schema && !a.exclude.includes(ref.name));
  const added = selection.tables.filter((t) => !current.has(tableKey(t.source)) && !adopted(t.source));
  const removed = input.tables.filter((t) => !wanted.has(tableKey(t.source)));
  for (const [key, t] of current) {
    if (wanted.has(key) && fingerprint(input.spec, t) !== fingerprint(next, t)) {
      problems.push(
        `objects: ${key} is already syncing; its destination name, row filter and columns cannot change while it runs — remove it in one modifyObjects and add it back with the new settings in another`,
      );
    }
  }
  if (added.length && !problems.length) {
    const { slot } = additionObjects(input);
    const checked = await runPrecheck(specFor(next, added), ctx.source, ctx.destination, slot);
    if (checked.report.blocked) problems.push(`precheck of the added tables failed:\n${formatReport(checked.report)}`);
  }
  logger.info({ task: input.taskId, added: added.map((t) => tableKey(t.source)), removed: removed.map((t) => tableKey(t.source)), problems }, 'modifyObjects planned');
  return { added, removed, problems };
}

/** Re-targets the publication (and replica identity) to exactly these tables. */
export async function setPublication(input: TaskInput & { tables: SelectedTable[] }): Promise<void> {
  await withRetryWindows(input.spec, 'setPublication', () => prepareSource(taskContext(input), input.spec, input.taskId, input.tables, namingOf(input)));
}

/**
 * Where the held main stream will resume: it skips every transaction whose commit starts before its
 * origin's progress, and the server sends none before the slot's confirmed position — which moves past
 * the origin when the stream confirms transactions that had nothing for its tables (they may well have
 * had changes for the table being added). The later of the two is the hand-over point.
 */
export async function mainStreamPosition(input: TaskInput): Promise<string> {
  const ctx = taskContext(input);
  const applied = await withClient(ctx.destination, (db) => originProgress(db, ctx.origin));
  return withClient(ctx.source, async (db) => {
    const { rows } = await db.query<{ lsn: string }>(
      `SELECT greatest(confirmed_flush_lsn, $2::pg_lsn)::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`,
      [ctx.slot, applied ?? '0/0'],
    );
    if (!rows[0]?.lsn) throw new Error(`the task's slot ${ctx.slot} is gone; the task cannot continue`);
    return rows[0].lsn;
  });
}

/**
 * Applies the added tables' changes from their own slot, until `until` (every transaction committing before
 * it) or, without it, until the source's WAL position when this started. Exactly once through the
 * addition's own replication origin, so a retried attempt resumes where the last one committed.
 */
export async function catchUpAddedTables(input: TaskInput & { tables: SelectedTable[]; until: string | null }): Promise<{ appliedLsn: string | null }> {
  const ctx = taskContext(input);
  const { slot, origin } = additionObjects(input);
  await claimAddition(input, ctx.source, ctx.destination, slot, origin);
  const until = input.until ?? (await withClient(ctx.source, async (db) => (await db.query(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows[0].lsn as string));
  const activity = Context.current();
  const abort = new AbortController();
  activity.cancelled.catch(() => abort.abort());
  const stream = new IncrementalStream({
    ...ctx, slot, origin, taskId: input.taskId, tables: input.tables, mapping: input.spec, signal: abort.signal, stopAt: until, listedTablesOnly: true,
  });
  const beat = setInterval(() => activity.heartbeat({ appliedLsn: stream.stats().appliedLsn }), 5_000);
  try {
    await stream.run();
  } finally {
    clearInterval(beat);
  }
  if (abort.signal.aborted) await activity.cancelled;
  const appliedLsn = stream.stats().appliedLsn;
  logger.info({ task: input.taskId, until, appliedLsn, rows: stream.stats().rows }, 'added tables caught up');
  return { appliedLsn };
}

/** The addition's slot and origin must be this task's before its stream creates or uses them. */
async function claimAddition(input: TaskInput, source: ClientConfig, destination: ClientConfig, slot: string, origin: string): Promise<void> {
  const progressKey = progressId({ taskId: input.taskId, addition: { slot, origin, publishTables: [] } });
  const adopt = adoptable(input, namingOf(input) === 'v1' && (await withClient(destination, (db) => additionProven(db, progressKey, slot))));
  await withClient(source, (db) => claim(db, 'source', input, [{ kind: 'slot', name: slot }], adopt));
  await withClient(destination, (db) => claim(db, 'destination', input, [{ kind: 'origin', name: origin }], adopt));
}

/**
 * The addition is complete (or abandoned): its slot, origin and copy progress go — only what this task owns
 * (for a task started before ownership was recorded, a legacy `<slot>_add` only when its addition progress
 * proves it made it: that name is also the main slot of a task whose id ends in `_add`).
 */
export async function finishAddition(input: TaskInput): Promise<void> {
  const ctx = taskContext(input);
  const owner = taskOwner();
  const { slot, origin } = additionObjects(input);
  const progressKey = progressId({ taskId: input.taskId, addition: { slot, origin, publishTables: [] } });
  const proven = namingOf(input) === 'v1' && (await withClient(ctx.destination, (db) => additionProven(db, progressKey, slot)));
  const adopt = adoptable(input, proven);
  const slotObject: OwnedObject = { kind: 'slot', name: slot };
  const originObject: OwnedObject = { kind: 'origin', name: origin };
  await withClient(ctx.source, async (db) => {
    const { mine, others } = await ownedObjects(db, owner, [slotObject], adopt);
    if (mine.length) await dropSlotIfExists(db, slot);
    for (const other of others) logger.warn({ task: input.taskId, left: describeConflict(other) }, 'addition finished: left an object this task does not own');
    await forgetObjects(db, owner, [slotObject], true);
  });
  await withClient(ctx.destination, async (db) => {
    const { mine, others } = await ownedObjects(db, owner, [originObject], adopt);
    if (mine.length) await dropOriginIfExists(db, origin);
    for (const other of others) logger.warn({ task: input.taskId, left: describeConflict(other) }, 'addition finished: left an object this task does not own');
    await forgetObjects(db, owner, [originObject], false);
    await forgetFullSync(db, progressKey);
  });
}
