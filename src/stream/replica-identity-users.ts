// Which tasks rely on REPLICA IDENTITY FULL of a source table, kept on the source itself: two tasks (to
// two destinations, whose own records each see only their task) may select the same table, and the table
// must get its identity back when the LAST of them is released — not stay FULL forever because the task
// that changed it was released first while the other still streamed (then the other, having found it FULL,
// had nothing to restore). `previous` is what the table had before any task changed it; NULL when it was
// FULL already with no task's record (the user's own setting: nothing to put back).
import type { ClientBase } from 'pg';
import type { TableRef } from '../catalog/names';

/** The table below, in `_pg_dts` on the source: the last task's release drops it (forgetObjects). */
export const IDENTITY_USERS_TABLE = 'replica_identity_users';
const TABLE = `_pg_dts.${IDENTITY_USERS_TABLE}`;

const SETUP = `
  CREATE SCHEMA IF NOT EXISTS _pg_dts;
  CREATE TABLE IF NOT EXISTS ${TABLE} (
    schema_name text NOT NULL, table_name text NOT NULL, previous "char", index_name text,
    tasks text[] NOT NULL, PRIMARY KEY (schema_name, table_name));
  REVOKE ALL ON ${TABLE} FROM PUBLIC;`;

export interface IdentityUse {
  schema: string;
  name: string;
  /** The identity before FULL ('d', 'n', 'i'), or null when it was FULL already. */
  previous: string | null;
  indexName: string | null;
  tasks: string[];
}

/** Records `taskId` as relying on FULL for these tables; `previous` is kept from the first record. */
export async function recordIdentityUse(source: ClientBase, taskId: string, tables: { ref: TableRef; identity: string; indexName: string | null }[]): Promise<void> {
  if (!tables.length) return;
  await source.query('BEGIN');
  try {
    await source.query(`SELECT pg_advisory_xact_lock(hashtext('pg-dts replica identity users'))`);
    await source.query(SETUP);
    await source.query(
      `INSERT INTO ${TABLE} AS u (schema_name, table_name, previous, index_name, tasks)
       SELECT s, n, CASE WHEN i = 'f' THEN NULL ELSE i END, ix, ARRAY[$1::text] FROM unnest($2::text[], $3::text[], $4::"char"[], $5::text[]) AS t(s, n, i, ix)
       ON CONFLICT (schema_name, table_name) DO UPDATE
         SET tasks = CASE WHEN $1 = ANY (u.tasks) THEN u.tasks ELSE u.tasks || $1::text END`,
      [taskId, tables.map((t) => t.ref.schema), tables.map((t) => t.ref.name), tables.map((t) => t.identity), tables.map((t) => t.indexName)],
    );
    await source.query('COMMIT');
  } catch (err) {
    await source.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The tables `taskId` relies on, with every task relying on each. */
export async function identityUsesOf(source: ClientBase, taskId: string): Promise<IdentityUse[]> {
  const exists = await source.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [TABLE]);
  if (!exists.rows[0].ok) return [];
  const { rows } = await source.query<{ schema: string; name: string; previous: string | null; index_name: string | null; tasks: string[] }>(
    `SELECT schema_name AS schema, table_name AS name, previous, index_name, tasks FROM ${TABLE} WHERE $1 = ANY (tasks)`, [taskId]);
  return rows.map((r) => ({ schema: r.schema, name: r.name, previous: r.previous, indexName: r.index_name, tasks: r.tasks }));
}

/**
 * `taskId` no longer relies on the table. While others do, the record stays with them (and learns the
 * previous identity from an older record of this task's, when it had none); else it is removed.
 */
export async function forgetIdentityUse(source: ClientBase, taskId: string, table: TableRef, previous: { identity: string; indexName: string | null } | null): Promise<void> {
  const exists = await source.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [TABLE]);
  if (!exists.rows[0].ok) return;
  await source.query(
    `UPDATE ${TABLE} SET tasks = array_remove(tasks, $1),
            previous = coalesce(previous, $4::"char"), index_name = CASE WHEN previous IS NULL THEN $5 ELSE index_name END
      WHERE schema_name = $2 AND table_name = $3`,
    [taskId, table.schema, table.name, previous?.identity ?? null, previous?.indexName ?? null]);
  await source.query(`DELETE FROM ${TABLE} WHERE schema_name = $1 AND table_name = $2 AND cardinality(tasks) = 0`, [table.schema, table.name]);
}
