// Expands the spec's object selection into concrete source tables, against the live source catalog.
import type { ClientBase } from 'pg';
import type { TaskSpec } from '../spec/schema';
import { targetTableName, type SelectedTable, type TableRef } from './names';
import { partitionRootSql } from './partition-sql';

export interface Selection {
  tables: SelectedTable[];
  /** Listed schemas or tables that do not exist on the source. */
  missing: string[];
}

/**
 * Ordinary tables and partitioned roots, never partitions: a partitioned table brings all of its partitions
 * (schema sync creates them, in each one's own mapped schema), and its changes replicate under its name
 * (the publication publishes via the root), so a partition is never an entry of its own.
 */
async function tablesOfSchema(db: ClientBase, schema: string): Promise<TableRef[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`,
    [schema],
  );
  return rows.map((r) => ({ schema, name: r.name }));
}

/** A listed partition is not selectable on its own: say which table to list instead. */
async function partitionNote(db: ClientBase, t: TableRef): Promise<string> {
  const { rows } = await db.query<{ root: string }>(
    `SELECT ${partitionRootSql('c.oid')}::text AS root FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relispartition`,
    [t.schema, t.name],
  );
  return rows[0] ? ` (a partition of ${rows[0].root}: list the partitioned table, which brings all of its partitions)` : '';
}

export async function resolveSelection(db: ClientBase, spec: TaskSpec): Promise<Selection> {
  const tables: SelectedTable[] = [];
  const missing: string[] = [];
  for (const entry of spec.objects) {
    const present = await tablesOfSchema(db, entry.schema);
    const exists = await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [entry.schema]);
    if (exists.rowCount === 0) {
      missing.push(`schema ${entry.schema}`);
      continue;
    }
    const wanted = entry.tables
      ? entry.tables.map((t) => (typeof t === 'string' ? t : t.name))
      : present.map((t) => t.name).filter((name) => !entry.excludeTables?.includes(name));
    for (const name of wanted) {
      if (!present.some((t) => t.name === name)) {
        missing.push(`table ${entry.schema}.${name}${await partitionNote(db, { schema: entry.schema, name })}`);
        continue;
      }
      const source = { schema: entry.schema, name };
      tables.push({ source, target: targetTableName(spec, source) });
    }
  }
  return { tables, missing };
}
