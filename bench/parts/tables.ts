// The replicated set: pgbench's four tables. pgbench_history has no primary key, which pg-dts requires
// (and native replication needs for UPDATE/DELETE), so the benchmark adds one on the source before either
// run; both runs then replicate identical tables.
import type { Client } from 'pg';
import { escapeIdentifier } from 'pg';

export const PGBENCH_TABLES = ['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history'] as const;

export async function addHistoryKey(src: Client): Promise<void> {
  await src.query(`ALTER TABLE public.pgbench_history ADD COLUMN hid bigserial PRIMARY KEY`);
}

export async function dropDestinationTables(dst: Client): Promise<void> {
  await dst.query(`DROP TABLE IF EXISTS ${PGBENCH_TABLES.map((t) => `public.${t}`).join(', ')} CASCADE`);
  // A sequence that some run created without OWNED BY would survive the DROP TABLE and clash later.
  await dst.query(`DROP SEQUENCE IF EXISTS public.pgbench_history_hid_seq`);
}

/** Primary-key columns of a source table, in key order (used for ordered checksums). */
export async function primaryKey(db: Client, table: string, schema = 'public'): Promise<string[]> {
  const r = await db.query<{ attname: string }>(
    `SELECT a.attname FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = $1::regclass AND i.indisprimary
      ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [`${escapeIdentifier(schema)}.${escapeIdentifier(table)}`],
  );
  if (!r.rows.length) throw new Error(`${schema}.${table} has no primary key`);
  return r.rows.map((row) => row.attname);
}
