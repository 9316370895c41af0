// Expands the spec's object selection into concrete source tables, against the live source catalog.
import type { ClientBase } from 'pg';
import type { TaskSpec } from '../spec/schema';
import { targetTableName, type SelectedTable, type TableRef } from './names';

export interface Selection {
  tables: SelectedTable[];
  /** Listed schemas or tables that do not exist on the source. */
  missing: string[];
}

async function tablesOfSchema(db: ClientBase, schema: string): Promise<TableRef[]> {
  // Ordinary, non-partition tables. Partitioned tables are handled by a later schema-sync issue.
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND NOT c.relispartition ORDER BY c.relname`,
    [schema],
  );
  return rows.map((r) => ({ schema, name: r.name }));
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
      : present.map((t) => t.name);
    for (const name of wanted) {
      if (!present.some((t) => t.name === name)) {
        missing.push(`table ${entry.schema}.${name}`);
        continue;
      }
      const source = { schema: entry.schema, name };
      tables.push({ source, target: targetTableName(spec, source) });
    }
  }
  return { tables, missing };
}
