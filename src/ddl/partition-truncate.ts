// TRUNCATE of one partition. The task publishes partitioned tables through their root
// (publish_via_partition_root), and pgoutput then drops a TRUNCATE of a single partition: the destination
// would keep the partition's rows with nothing logged. So each leaf partition of a selected partitioned
// table gets a statement-level BEFORE TRUNCATE trigger (ENABLE ALWAYS) whose SECURITY DEFINER function writes
// a row into the task's capture table, in the truncating transaction, at its place among its rows; the
// stream truncates the destination partition there. A TRUNCATE of the root also fires these triggers: the
// stream truncates the partitions and then the root, which changes nothing more.
//
// A trigger function can only run as a trigger, and EXECUTE is revoked from PUBLIC so no other role can
// attach it to a table of its own; the names it records come from the catalog (TG_RELID).
import type { ClientBase } from 'pg';
import type { TableRef } from '../catalog/names';
import { ident, qualified } from '../util/sql';
import { partitionRootSql, partitionTreeSql } from '../catalog/partition-sql';

export const truncateFunctionName = (taskId: string): string => `_pg_dts.truncate_record_${taskId}`;
export const truncateTriggerName = (taskId: string): string => `dts_truncate_${taskId}`;

/** What the trigger records: the truncated partition and its root (the table the task selects). */
export interface CapturedTruncate {
  truncate: TableRef;
  root: TableRef;
}

export const isCapturedTruncate = (x: unknown): x is CapturedTruncate => !!x && typeof x === 'object' && 'truncate' in x && 'root' in x;

/** Installs (idempotently) the trigger on every leaf partition of the selected partitioned tables; `log` is the capture table. */
export async function installPartitionTruncateCapture(db: ClientBase, taskId: string, log: TableRef, selected: TableRef[]): Promise<number> {
  await db.query(`
CREATE OR REPLACE FUNCTION ${truncateFunctionName(taskId)}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $pgdts$
BEGIN
  INSERT INTO ${ident(log.schema)}.${ident(log.name)} (captured)
  SELECT jsonb_build_object('truncate', jsonb_build_object('schema', TG_TABLE_SCHEMA, 'name', TG_TABLE_NAME),
                            'root', jsonb_build_object('schema', n.nspname, 'name', c.relname))::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = ${partitionRootSql('TG_RELID')};
  RETURN NULL;
END
$pgdts$`);
  await db.query(`REVOKE ALL ON FUNCTION ${truncateFunctionName(taskId)}() FROM PUBLIC`);
  if (!selected.length) return 0;
  const { rows } = await db.query<{ leaf: string; has: boolean }>(
    `SELECT t.relid::regclass::text AS leaf,
            EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t.relid AND g.tgname = $2) AS has
       FROM unnest($1::regclass[]) AS r(root), LATERAL ${partitionTreeSql('r.root')} t
      WHERE t.isleaf AND t.level > 0`,
    [selected.map(qualified), truncateTriggerName(taskId)],
  );
  for (const r of rows.filter((x) => !x.has)) {
    await db.query(`CREATE TRIGGER ${ident(truncateTriggerName(taskId))} BEFORE TRUNCATE ON ${r.leaf} FOR EACH STATEMENT EXECUTE FUNCTION ${truncateFunctionName(taskId)}()`);
    await db.query(`ALTER TABLE ${r.leaf} ENABLE ALWAYS TRIGGER ${ident(truncateTriggerName(taskId))}`);
  }
  return rows.length;
}

/** Drops the task's triggers (wherever they are) and their function. */
export async function removePartitionTruncateCapture(db: ClientBase, taskId: string): Promise<void> {
  const { rows } = await db.query<{ rel: string }>(
    `SELECT tgrelid::regclass::text AS rel FROM pg_trigger WHERE tgname = $1 AND tgfoid = to_regprocedure($2)`,
    [truncateTriggerName(taskId), `${truncateFunctionName(taskId)}()`],
  );
  for (const r of rows) await db.query(`DROP TRIGGER IF EXISTS ${ident(truncateTriggerName(taskId))} ON ${r.rel}`);
  await db.query(`DROP FUNCTION IF EXISTS ${truncateFunctionName(taskId)}()`);
}

/** The selected tables that are partitioned on the source. */
export async function partitionedAmong(db: ClientBase, tables: TableRef[]): Promise<TableRef[]> {
  if (!tables.length) return [];
  const { rows } = await db.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'p' AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return rows;
}

