import { Context } from '@temporalio/activity';
import type { SelectedTable } from '../src/catalog/names';
import { connect, withClient } from '../src/conn/connect';
import { copyAllTables, type TableProgress } from '../src/snapshot/full-sync';
import {
  createSlotWithSnapshot, dropOriginIfExists, dropSlotIfExists, ensurePublication,
} from '../src/stream/replication-objects';
import { progressReporter, taskContext, type TaskInput } from './context';

export interface FullSyncInput extends TaskInput {
  tables: SelectedTable[];
  /** Create the slot at the copy's snapshot, so incremental sync starts exactly where the copy ends. */
  withSlot: boolean;
  concurrency?: number;
}

export interface FullSyncResult {
  consistentPoint: string | null;
  tables: TableProgress[];
}

/**
 * The consistent cut. The slot is created with an exported snapshot and every copy session imports it:
 * each row is then either in the copy (committed before the slot's consistent point) or in the stream
 * (committed after it), never both, never neither. A retried attempt drops the slot and the origin and
 * starts over from empty tables, so the cut stays exact.
 */
export async function fullSync(input: FullSyncInput): Promise<FullSyncResult> {
  const ctx = taskContext(input);
  const report = progressReporter(5_000);
  const progress = new Map<string, TableProgress>();
  const changed = new Set<string>();
  const heartbeat = setInterval(() => Context.current().heartbeat({ tables: [...progress.values()] }), 5_000);
  let holder: { end(): Promise<void> } | undefined;
  try {
    let snapshotName: string;
    let consistentPoint: string | null = null;
    if (input.withSlot) {
      await withClient(ctx.source, async (db) => {
        await ensurePublication(db, ctx.publication, input.tables);
        await dropSlotIfExists(db, ctx.slot);
      });
      await withClient(ctx.destination, (db) => dropOriginIfExists(db, ctx.origin));
      const created = await createSlotWithSnapshot(ctx.source, ctx.slot);
      holder = created.connection;
      snapshotName = created.snapshotName;
      consistentPoint = created.consistentPoint;
    } else {
      const db = await connect(ctx.source);
      holder = db;
      await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      snapshotName = (await db.query('SELECT pg_export_snapshot() AS s')).rows[0].s;
    }
    const tables = await copyAllTables({
      tables: input.tables,
      source: ctx.source,
      destination: ctx.destination,
      snapshotName,
      concurrency: input.concurrency ?? 4,
      truncateFirst: input.spec.conflictingTables === 'precheck',
      onProgress: (p) => {
        progress.set(p.table, { ...p });
        changed.add(p.table);
        // Each signal is a history event: send only the tables that moved, at most every 5 s (a signal
        // per finished table carrying every table made history grow with the square of the table count,
        // and a 1 300-table task hit Temporal's history size limit).
        if (report({ kind: 'full', tables: [...changed].map((t) => progress.get(t)!) })) changed.clear();
      },
    });
    return { consistentPoint, tables };
  } finally {
    clearInterval(heartbeat);
    await holder?.end().catch(() => undefined);
  }
}
