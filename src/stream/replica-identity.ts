// REPLICA IDENTITY FULL on the selected source tables for the task's lifetime (spec `replicaIdentity`):
// with it every UPDATE and DELETE carries the whole old row, which publication row filters need to judge
// the old row and which lets the applier recognise key changes and unchanged TOAST values exactly.
// What each table had before is recorded on the destination (pg-dts's own schema) BEFORE the source is
// changed, so a crash between the two loses nothing, and release puts it back.
import type { ClientBase } from 'pg';
import type { TableRef } from '../catalog/names';
import { ident, qualified } from '../util/sql';

const SETUP = `
  CREATE SCHEMA IF NOT EXISTS _pg_dts;
  CREATE TABLE IF NOT EXISTS _pg_dts.replica_identity (
    task_id text NOT NULL, schema_name text NOT NULL, table_name text NOT NULL,
    previous "char" NOT NULL, index_name text, PRIMARY KEY (task_id, schema_name, table_name));`;

interface IdentityRow {
  schema: string;
  name: string;
  identity: string;
  index_name: string | null;
}

/** Sets FULL where it is missing; returns the tables changed. Idempotent: a retry records nothing new. */
export async function setReplicaIdentityFull(source: ClientBase, destination: ClientBase, taskId: string, tables: TableRef[]): Promise<TableRef[]> {
  const { rows } = await source.query<IdentityRow>(
    // Partitions too: changes are decoded from the partition a row lives in, under that partition's
    // replica identity, whatever the partitioned table says (ALTER TABLE on it does not recurse).
    `WITH RECURSIVE tree AS (
       SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       UNION SELECT i.inhrelid FROM pg_inherits i JOIN tree t ON i.inhparent = t.oid)
     SELECT n.nspname AS schema, c.relname AS name, c.relreplident::text AS identity,
            (SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
              WHERE i.indrelid = c.oid AND i.indisreplident) AS index_name
       FROM tree JOIN pg_class c ON c.oid = tree.oid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND c.relreplident <> 'f'`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  if (!rows.length) return [];
  await destination.query('BEGIN');
  try {
    await destination.query(`SELECT pg_advisory_xact_lock(hashtext('pg-dts progress store'))`);
    await destination.query(SETUP);
    await destination.query(
      `INSERT INTO _pg_dts.replica_identity SELECT $1, * FROM unnest($2::text[], $3::text[], $4::"char"[], $5::text[])
       ON CONFLICT DO NOTHING`,
      [taskId, rows.map((r) => r.schema), rows.map((r) => r.name), rows.map((r) => r.identity), rows.map((r) => r.index_name)],
    );
    await destination.query('COMMIT');
  } catch (err) {
    await destination.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  for (const r of rows) await source.query(`ALTER TABLE ${qualified(r)} REPLICA IDENTITY FULL`);
  return rows.map((r) => ({ schema: r.schema, name: r.name }));
}

function identityClause(previous: string, indexName: string | null): string {
  switch (previous) {
    case 'n':
      return 'NOTHING';
    case 'i':
      return indexName ? `USING INDEX ${ident(indexName)}` : 'DEFAULT';
    default:
      return 'DEFAULT';
  }
}

/**
 * Puts back what the task changed, except on tables another publication still publishes (another task or
 * subscriber may rely on FULL: taking it away would make UPDATEs fail there). Returns what was restored.
 */
export async function restoreReplicaIdentity(source: ClientBase, destination: ClientBase, taskId: string, publication: string): Promise<TableRef[]> {
  const exists = await destination.query(`SELECT to_regclass('_pg_dts.replica_identity') IS NOT NULL AS ok`);
  if (!exists.rows[0].ok) return [];
  const { rows } = await destination.query<{ schema: string; name: string; previous: string; index_name: string | null }>(
    `SELECT schema_name AS schema, table_name AS name, previous, index_name FROM _pg_dts.replica_identity WHERE task_id = $1`,
    [taskId],
  );
  const restored: TableRef[] = [];
  for (const r of rows) {
    const { rows: state } = await source.query<{ present: boolean; shared: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AS present,
              EXISTS (SELECT 1 FROM pg_publication_tables WHERE schemaname = $2 AND tablename = $3 AND pubname <> $4) AS shared`,
      [qualified(r), r.schema, r.name, publication],
    );
    if (state[0]!.present && !state[0]!.shared) {
      await source.query(`ALTER TABLE ${qualified(r)} REPLICA IDENTITY ${identityClause(r.previous, r.index_name)}`);
      restored.push({ schema: r.schema, name: r.name });
    }
  }
  await destination.query('DELETE FROM _pg_dts.replica_identity WHERE task_id = $1', [taskId]);
  return restored;
}
