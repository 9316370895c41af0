// What schema sync created on the destination, per task: `_pg_dts.created_objects`. Written in the same
// transaction as createSchema's CREATEs, so a row exists exactly when its object was made by this task. A
// task that fails (or is terminated) before its copy is finished leaves tables nobody else made; started
// again under the same workflow id, its precheck does not count them as conflicts and createSchema drops
// and creates them again, so the user never has to clean up by hand. finishSchema forgets the rows once the
// tables are complete (from then on they hold the user's data: a restart reports them as conflicts), and so
// does a release; the release after a failure keeps them, for the restart.
//
// A row names the table's oid: a table dropped and made again by someone else under the same name is not
// this task's. Like the ownership registry, the table is granted to nobody.
import type { ClientBase } from 'pg';
import type { TableRef } from '../catalog/names';
import type { Owner } from '../stream/ownership';
import { literal, qualified } from '../util/sql';

export const CREATED_OBJECTS_TABLE = 'created_objects';
const TABLE = `_pg_dts.${CREATED_OBJECTS_TABLE}`;

const textArray = (values: string[]): string => `ARRAY[${values.map(literal).join(', ')}]::text[]`;

/** Statements creating the record table when missing (first in createSchema's transaction). */
export function createdObjectsSetup(): string[] {
  return [
    // Two tasks creating their schemas at once must not both create the table.
    `SELECT pg_advisory_xact_lock(hashtext('pg-dts created objects'))`,
    'CREATE SCHEMA IF NOT EXISTS _pg_dts',
    `CREATE TABLE IF NOT EXISTS ${TABLE} (
       task_id text NOT NULL, namespace text NOT NULL, workflow_id text NOT NULL, kind text NOT NULL,
       schema_name text NOT NULL, name text NOT NULL, object_oid oid NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (task_id, kind, schema_name, name))`,
    `REVOKE ALL ON ${TABLE} FROM PUBLIC`,
  ];
}

/**
 * Last statement of createSchema's transaction: records the tables of `targets` and the extensions this
 * very transaction created (their catalog row's xmin is the transaction's xid), never one that was there.
 */
export function recordCreated(taskId: string, owner: Owner, targets: TableRef[]): string[] {
  const who = `${literal(taskId)}, ${literal(owner.namespace)}, ${literal(owner.workflowId)}`;
  const mine = `(txid_current() % 4294967296)::text`;
  const upsert = `ON CONFLICT (task_id, kind, schema_name, name) DO UPDATE SET object_oid = EXCLUDED.object_oid, namespace = EXCLUDED.namespace,
       workflow_id = EXCLUDED.workflow_id, created_at = now()`;
  return [
    `INSERT INTO ${TABLE} (task_id, namespace, workflow_id, kind, schema_name, name, object_oid)
     SELECT ${who}, 'table', n.nspname, c.relname, c.oid
       FROM unnest(${textArray(targets.map((t) => t.schema))}, ${textArray(targets.map((t) => t.name))}) AS t(schema_name, name)
       JOIN pg_namespace n ON n.nspname = t.schema_name JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
      WHERE c.xmin::text = ${mine}
     ${upsert}`,
    `INSERT INTO ${TABLE} (task_id, namespace, workflow_id, kind, schema_name, name, object_oid)
     SELECT ${who}, 'extension', n.nspname, e.extname, e.oid FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
      WHERE e.xmin::text = ${mine}
     ${upsert}`,
  ];
}

/**
 * Whether this user can keep records: the table usable, or creatable where it would go. Another role's
 * table (tasks on one destination under different users) is not: the task then runs without records, as
 * before them, rather than failing on a permission.
 */
export async function canRecord(db: ClientBase): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>(
    `SELECT CASE WHEN c.oid IS NOT NULL THEN has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE')
                 WHEN n.oid IS NOT NULL THEN has_schema_privilege(n.oid, 'USAGE, CREATE')
                 ELSE has_database_privilege(current_database(), 'CREATE') END AS ok
       FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = '_pg_dts'
       LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = $1 AND c.relkind = 'r'`,
    [CREATED_OBJECTS_TABLE],
  );
  return rows[0]!.ok;
}

const tableReadable = async (db: ClientBase): Promise<boolean> =>
  (
    await db.query<{ ok: boolean }>(
      `SELECT coalesce(bool_and(has_schema_privilege(c.relnamespace, 'USAGE') AND has_table_privilege(c.oid, 'SELECT, DELETE')), false) AS ok
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '_pg_dts' AND c.relname = $1 AND c.relkind = 'r'`,
      [CREATED_OBJECTS_TABLE],
    )
  ).rows[0]!.ok;

/**
 * Of `targets`, the tables this task created and still are the same tables (same oid): an earlier run's
 * leftovers. `owner` null (unknown) matches on the task id alone.
 */
export async function ownLeftovers(db: ClientBase, taskId: string, owner: Owner | null, targets: TableRef[]): Promise<TableRef[]> {
  if (!targets.length || !(await tableReadable(db))) return [];
  const { rows } = await db.query<TableRef>(
    `SELECT r.schema_name AS schema, r.name FROM ${TABLE} r
       JOIN pg_namespace n ON n.nspname = r.schema_name JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.name AND c.oid = r.object_oid
      WHERE r.task_id = $1 AND r.kind = 'table' AND ($3::text IS NULL OR (r.namespace = $3 AND r.workflow_id = $4))
        AND (r.schema_name, r.name) IN (SELECT * FROM unnest($2::text[], $5::text[]))
      ORDER BY 1, 2`,
    [taskId, targets.map((t) => t.schema), owner?.namespace ?? null, owner?.workflowId ?? null, targets.map((t) => t.name)],
  );
  return rows;
}

/**
 * Forgets this task's records (its tables are complete, or the task is released); the table goes when no
 * task has rows left, so the release of the last task can take pg-dts's schema with it.
 */
export async function forgetCreated(db: ClientBase, taskId: string, owner: Owner): Promise<void> {
  if (!(await tableReadable(db))) return;
  await db.query('BEGIN');
  try {
    await db.query(`SELECT pg_advisory_xact_lock(hashtext('pg-dts created objects'))`);
    await db.query(`DELETE FROM ${TABLE} WHERE task_id = $1 AND namespace = $2 AND workflow_id = $3`, [taskId, owner.namespace, owner.workflowId]);
    const left = await db.query(`SELECT 1 FROM ${TABLE} LIMIT 1`);
    const mine = await db.query<{ ok: boolean }>(`SELECT pg_has_role(relowner, 'USAGE') AS ok FROM pg_class WHERE oid = to_regclass($1)`, [TABLE]);
    if (!left.rowCount && mine.rows[0]?.ok) await db.query(`DROP TABLE ${TABLE}`);
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Drops an earlier run's leftovers (one statement: keys between them do not matter) and their records. */
export function dropLeftovers(taskId: string, leftovers: TableRef[]): string[] {
  if (!leftovers.length) return [];
  return [
    `DROP TABLE IF EXISTS ${leftovers.map(qualified).join(', ')}`,
    `DELETE FROM ${TABLE} WHERE task_id = ${literal(taskId)} AND kind = 'table'
        AND (schema_name, name) IN (SELECT * FROM unnest(${textArray(leftovers.map((t) => t.schema))}, ${textArray(leftovers.map((t) => t.name))}))`,
  ];
}
