// Durable full-sync progress, kept on the destination in pg-dts's own schema `_pg_dts` (a schema name
// may not start with "pg_"). A chunk's row is inserted in the same transaction as the chunk's data, so
// "recorded done" and "data present" can never disagree, whatever is killed when.
//
// The row is inserted FIRST in that transaction: a second attempt of the same task copying the same
// chunk (a stale worker that has not noticed it was replaced) waits on the unique key, then either finds
// the chunk done and backs off, or takes it over if the first one rolled back. So no chunk is ever
// committed twice.
import type { ClientBase } from 'pg';
import type { TablePlan } from './plan';

export interface StoredFullSync {
  /** The workflow run that planned it: a new run of the same task id never resumes an old run's copy. */
  runId: string;
  slot: string | null;
  consistentPoint: string | null;
  /** The newest snapshot any chunk was copied from (see docs/full-sync.md); null: all from the first. */
  catchUpUntil: string | null;
  plan: TablePlan[];
  attempts: number;
}

export interface DoneChunk {
  table: string;
  chunk: number;
  rows: number;
  bytes: number;
}

/** The tables below, in `_pg_dts`: release drops them when no task uses them any more. */
export const PROGRESS_TABLES = ['full_sync', 'full_chunks'];

const SETUP = `
  CREATE SCHEMA IF NOT EXISTS _pg_dts;
  CREATE TABLE IF NOT EXISTS _pg_dts.full_sync (
    task_id text PRIMARY KEY, run_id text NOT NULL, slot text, consistent_point pg_lsn, catch_up_until pg_lsn,
    plan jsonb NOT NULL, attempts int NOT NULL DEFAULT 1, started_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS _pg_dts.full_chunks (
    task_id text NOT NULL, table_key text NOT NULL, chunk int NOT NULL, attempt int NOT NULL,
    rows bigint, bytes bigint, done_at timestamptz,
    PRIMARY KEY (task_id, table_key, chunk));`;

export async function ensureProgressStore(db: ClientBase): Promise<void> {
  await createHelperTables(db, SETUP);
}

/** Creates pg-dts's helper tables on the destination (`CREATE … IF NOT EXISTS` statements). */
export async function createHelperTables(db: ClientBase, setup: string): Promise<void> {
  // Two tasks starting at once on one destination may race on CREATE ... IF NOT EXISTS: serialize them.
  await db.query('BEGIN');
  try {
    await db.query(`SELECT pg_advisory_xact_lock(hashtext('pg-dts progress store'))`);
    await db.query(setup);
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

const STORED_COLUMNS = 'run_id, slot, consistent_point::text AS cp, catch_up_until::text AS cu, plan, attempts';

function toStored(r: Record<string, unknown> | undefined): StoredFullSync | null {
  if (!r) return null;
  return { runId: r.run_id as string, slot: r.slot as string | null, consistentPoint: r.cp as string | null, catchUpUntil: r.cu as string | null, plan: r.plan as TablePlan[], attempts: r.attempts as number };
}

export async function loadFullSync(db: ClientBase, taskId: string): Promise<StoredFullSync | null> {
  const { rows } = await db.query(`SELECT ${STORED_COLUMNS} FROM _pg_dts.full_sync WHERE task_id = $1`, [taskId]);
  return toStored(rows[0]);
}

export async function loadDoneChunks(db: ClientBase, taskId: string): Promise<DoneChunk[]> {
  const { rows } = await db.query(
    `SELECT table_key, chunk, rows::float8 AS rows, bytes::float8 AS bytes FROM _pg_dts.full_chunks WHERE task_id = $1 AND done_at IS NOT NULL`,
    [taskId],
  );
  return rows.map((r) => ({ table: r.table_key, chunk: r.chunk, rows: r.rows, bytes: r.bytes }));
}

/** Starts over: forgets every chunk and records the new plan (one transaction). */
export async function saveNewFullSync(
  db: ClientBase,
  ids: { taskId: string; runId: string },
  slot: string | null,
  consistentPoint: string | null,
  plan: TablePlan[],
): Promise<void> {
  const { taskId, runId } = ids;
  await db.query('BEGIN');
  try {
    await db.query('DELETE FROM _pg_dts.full_chunks WHERE task_id = $1', [taskId]);
    await db.query('DELETE FROM _pg_dts.full_sync WHERE task_id = $1', [taskId]);
    await db.query(`INSERT INTO _pg_dts.full_sync (task_id, run_id, slot, consistent_point, plan) VALUES ($1, $2, $3, $4::pg_lsn, $5::jsonb)`, [
      taskId, runId, slot, consistentPoint, JSON.stringify(plan),
    ]);
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** A resumed attempt copies from a newer snapshot: incremental must tolerate replays up to `lsn`. */
export async function recordResume(db: ClientBase, taskId: string, lsn: string): Promise<StoredFullSync> {
  const { rows } = await db.query(
    `UPDATE _pg_dts.full_sync SET attempts = attempts + 1,
            catch_up_until = GREATEST(coalesce(catch_up_until, '0/0'::pg_lsn), $2::pg_lsn) WHERE task_id = $1
     RETURNING ${STORED_COLUMNS}`,
    [taskId, lsn],
  );
  const stored = toStored(rows[0]);
  if (!stored) throw new Error(`full sync progress of task ${taskId} vanished from the destination while resuming`);
  return stored;
}

/** Inside the chunk's transaction, before its data: false means another attempt already copied it. */
export async function claimChunk(db: ClientBase, taskId: string, table: string, chunk: number, attempt: number): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO _pg_dts.full_chunks (task_id, table_key, chunk, attempt) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1`,
    [taskId, table, chunk, attempt],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Inside the chunk's transaction, after its data. */
export async function completeChunk(db: ClientBase, taskId: string, table: string, chunk: number, rows: number, bytes: number): Promise<void> {
  await db.query(`UPDATE _pg_dts.full_chunks SET rows = $4, bytes = $5, done_at = clock_timestamp() WHERE task_id = $1 AND table_key = $2 AND chunk = $3`, [
    taskId, table, chunk, rows, bytes,
  ]);
}

/** Release: the task's progress rows go (the tables and the schema only when no task uses them: forgetObjects). */
export async function forgetFullSync(db: ClientBase, taskId: string): Promise<void> {
  // The schema may hold only other pg-dts tables (an incremental-only task never copied).
  const exists = await db.query(`SELECT to_regclass('_pg_dts.full_chunks') IS NOT NULL AND to_regclass('_pg_dts.full_sync') IS NOT NULL AS ok`);
  if (!exists.rows[0].ok) return;
  await db.query('DELETE FROM _pg_dts.full_chunks WHERE task_id = $1', [taskId]);
  await db.query('DELETE FROM _pg_dts.full_sync WHERE task_id = $1', [taskId]);
}
