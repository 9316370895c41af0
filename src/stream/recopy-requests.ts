// Tables the stream must have copied again (src/ddl/recopy.ts): recorded on the destination in the same
// transaction as the DDL that made them necessary, so a request can never be lost between the stream
// applying that DDL and the workflow hearing of it (a crash, a lost progress signal): every stream start
// reads the open requests back, and a request is closed only by the copy that answers it.
import type { ClientBase } from 'pg';
import type { TableRef } from '../catalog/names';
import type { RecopyRequest } from '../ddl/recopy';
import { createHelperTables } from '../snapshot/progress-store';

export type { RecopyRequest };

export const RECOPY_TABLE = 'recopy_requests';


const SETUP = `
  CREATE SCHEMA IF NOT EXISTS _pg_dts;
  CREATE TABLE IF NOT EXISTS _pg_dts.${RECOPY_TABLE} (
    task_id text NOT NULL, schema_name text NOT NULL, table_name text NOT NULL, reason text NOT NULL, lsn pg_lsn NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (task_id, schema_name, table_name))`;

export async function ensureRecopyStore(db: ClientBase): Promise<void> {
  await createHelperTables(db, SETUP);
}

/** Inside the applier's transaction: the latest reason and position win for a table asked again. */
export async function recordRecopy(db: ClientBase, taskId: string, request: RecopyRequest): Promise<void> {
  await db.query(
    `INSERT INTO _pg_dts.${RECOPY_TABLE} (task_id, schema_name, table_name, reason, lsn) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (task_id, schema_name, table_name) DO UPDATE SET reason = excluded.reason, lsn = greatest(${RECOPY_TABLE}.lsn, excluded.lsn), requested_at = now()`,
    [taskId, request.table.schema, request.table.name, request.reason, request.lsn],
  );
}

export async function openRecopies(db: ClientBase, taskId: string): Promise<RecopyRequest[]> {
  const exists = await db.query(`SELECT to_regclass('_pg_dts.${RECOPY_TABLE}') IS NOT NULL AS ok`);
  if (!exists.rows[0].ok) return [];
  const { rows } = await db.query<{ schema: string; name: string; reason: string; lsn: string }>(
    `SELECT schema_name AS schema, table_name AS name, reason, lsn::text AS lsn FROM _pg_dts.${RECOPY_TABLE} WHERE task_id = $1 ORDER BY lsn`,
    [taskId],
  );
  return rows.map((r) => ({ table: { schema: r.schema, name: r.name }, reason: r.reason, lsn: r.lsn }));
}

/** The copy taken at `copiedAt` answers every request made before it; a later one stays open. */
export async function closeRecopy(db: ClientBase, taskId: string, table: TableRef, copiedAt: string): Promise<void> {
  const exists = await db.query(`SELECT to_regclass('_pg_dts.${RECOPY_TABLE}') IS NOT NULL AS ok`);
  if (!exists.rows[0].ok) return;
  await db.query(`DELETE FROM _pg_dts.${RECOPY_TABLE} WHERE task_id = $1 AND schema_name = $2 AND table_name = $3 AND lsn < $4::pg_lsn`, [taskId, table.schema, table.name, copiedAt]);
}

/** Release: the task's requests go (the table itself when no task has any, with the other progress tables). */
export async function forgetRecopies(db: ClientBase, taskId: string): Promise<void> {
  const exists = await db.query(`SELECT to_regclass('_pg_dts.${RECOPY_TABLE}') IS NOT NULL AS ok`);
  if (exists.rows[0].ok) await db.query(`DELETE FROM _pg_dts.${RECOPY_TABLE} WHERE task_id = $1`, [taskId]);
}
