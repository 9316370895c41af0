// What must be in place on the source before the slot exists: replica identity, the publication and the
// DDL capture.
// Shared by the full sync (slot with snapshot) and an incremental-only task (slot from "now").
import { targetTableName, type SelectedTable } from '../src/catalog/names';
import { withClient } from '../src/conn/connect';
import { logger } from '../src/log';
import type { TaskSpec } from '../src/spec/schema';
import { setReplicaIdentityFull } from '../src/stream/replica-identity';
import { ensurePublication, publishedTables } from '../src/stream/replication-objects';
import type { ClientBase } from 'pg';
import { captureInstalled, captureNeedsUpgrade, ddlCaptureSupport, ddlLogTable, installDdlCapture, markOwnDdl, type CaptureSettings } from '../src/ddl/capture';
import { serverVersionNum } from '../src/catalog/server-version';
import { installPartitionTruncateCapture, partitionedAmong } from '../src/ddl/partition-truncate';
import type { TaskNaming } from '../src/spec/task-id';
import type { TaskContext } from './context';
import { claim } from './ownership';

/**
 * `naming` decides what may be taken over unrecorded (activities/ownership.ts); without it nothing is: the
 * caller has claimed the task's objects already, or they are new.
 */
export async function prepareSource(ctx: TaskContext, spec: TaskSpec, taskId: string, tables: SelectedTable[], naming: TaskNaming = 'v2'): Promise<void> {
  await withClient(ctx.source, async (src) => {
    // Before anything changes on the source: the publication and the DDL capture named after this task id
    // must be this task's (or free).
    await claim(src, 'source', { taskId, naming }, [{ kind: 'capture', name: taskId }, { kind: 'publication', name: ctx.publication }]);
    await markOwnDdl(src); // other tasks' DDL capture must not take this setup for the application's DDL
    if (spec.replicaIdentity === 'full') {
      const changed = await withClient(ctx.destination, (dst) => setReplicaIdentityFull(src, dst, taskId, tables.map((t) => t.source)));
      if (changed.length) logger.info({ task: taskId, tables: changed.length }, 'set REPLICA IDENTITY FULL on the source (restored at release)');
    }
    await ensurePublication(src, ctx.publication, publishedTables(spec, [...tables, ...(await adoptedMembers(src, ctx.publication, spec, tables))]));
    const capture = await ddlCaptureSupport(src);
    if (capture.ok) {
      await installDdlCapture(src, await captureSettings(src, ctx, spec, taskId, tables));
      await installTruncateTriggers(src, taskId, tables);
    } else logger.warn({ task: taskId, reason: capture.reason }, 'DDL is not replicated for this task');
  });
}

/**
 * Tables the capture adopted (created in a schema the task selects whole, published in their creating
 * transaction) are not in the task's list: re-targeting the publication to the list alone would stop their
 * rows silently. They stay while the spec still selects their schema whole.
 */
async function adoptedMembers(src: ClientBase, publication: string, spec: TaskSpec, tables: SelectedTable[]): Promise<SelectedTable[]> {
  const adopt = adoptedSchemas(spec);
  if (!adopt.length) return [];
  const listed = new Set(tables.map((t) => `${t.source.schema}.${t.source.name}`));
  const { rows } = await src.query<{ schema: string; name: string }>(
    `SELECT schemaname AS schema, tablename AS name FROM pg_publication_tables WHERE pubname = $1 AND schemaname = ANY($2::text[])`,
    [publication, adopt.map((a) => a.schema)],
  );
  return rows
    .filter((r) => !listed.has(`${r.schema}.${r.name}`) && !adopt.find((a) => a.schema === r.schema)!.exclude.includes(r.name))
    .map((r) => ({ source: r, target: targetTableName(spec, r) }));
}

/** Sources before 13 publish partitions one by one: the capture keeps new ones in the publication. */
async function captureSettings(src: ClientBase, ctx: TaskContext, spec: TaskSpec, taskId: string, tables: SelectedTable[]): Promise<CaptureSettings> {
  const leafPublished = (await serverVersionNum(src)) < 130000;
  return {
    taskId, publication: ctx.publication, adopt: adoptedSchemas(spec),
    ...(leafPublished ? { leafPublishedRoots: await partitionedAmong(src, tables.map((t) => t.source)) } : {}),
  };
}

/**
 * A TRUNCATE of one partition is not published through the root (13+): a trigger records it. Before 13
 * partitions are published themselves and pgoutput sends their TRUNCATE.
 */
async function installTruncateTriggers(src: ClientBase, taskId: string, tables: SelectedTable[]): Promise<void> {
  if ((await serverVersionNum(src)) < 130000) return;
  const roots = await partitionedAmong(src, tables.map((t) => t.source));
  await installPartitionTruncateCapture(src, taskId, ddlLogTable(taskId), roots);
}

/**
 * At each stream start, a task's capture is brought up to what this release installs: a capture from an
 * earlier release (logical messages) moves to its capture table, the recorder and its event triggers are
 * this release's (what it records, e.g. the tables of dropped indexes, and the DROP INDEX trigger), and
 * every partition of its selected partitioned tables has its TRUNCATE trigger (partitions made before
 * the capture added them itself).
 */
export async function refreshCapture(src: ClientBase, ctx: TaskContext, spec: TaskSpec, taskId: string, tables: SelectedTable[]): Promise<void> {
  if (!(await captureInstalled(src, taskId))) return;
  await markOwnDdl(src);
  if (await captureNeedsUpgrade(src, taskId)) {
    // Logical messages are no longer trusted: DDL since the last attempt stays refused (counted as ignored).
    await installDdlCapture(src, await captureSettings(src, ctx, spec, taskId, tables));
    logger.info({ task: taskId }, 'DDL capture moved from logical messages to the capture table');
  } else {
    // Idempotent (CREATE OR REPLACE, triggers created only when missing); the capture table is kept.
    await installDdlCapture(src, await captureSettings(src, ctx, spec, taskId, tables));
  }
  await installTruncateTriggers(src, taskId, tables);
}

/** Schemas selected whole (with DDL on): a table created there joins the task. */
export function adoptedSchemas(spec: TaskSpec): { schema: string; exclude: string[] }[] {
  return spec.objects.filter((o) => !o.tables && o.ddl !== false).map((o) => ({ schema: o.schema, exclude: o.excludeTables ?? [] }));
}
