// Writes a repair (src/verify/repair-row.ts) on the destination: every destination row with one of the
// keys asked for is deleted, then the source's images are inserted. Used by the stream at the control row's
// place (src/apply/applier.ts) and, for a task that will never stream again, directly (src/verify/repair.ts).
import type { ClientBase } from 'pg';
import { qualified } from '../util/sql';
import { mapRepair, type RepairRequest } from '../verify/repair-row';
import type { RelationTarget } from './change-buffer';
import { multiDelete, multiInsert } from './set-statements';

export interface RepairWritten {
  deleted: number;
  inserted: number;
}

/** Whether a plain unique index of the destination table covers exactly `columns` (in any order). */
async function uniqueOn(db: ClientBase, rel: RelationTarget, columns: string[]): Promise<boolean> {
  const { rows } = await db.query<{ cols: string[] }>(
    `SELECT ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) AS cols
       FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL`,
    [qualified(rel.target)],
  );
  const wanted = new Set(columns);
  return rows.some((r) => r.cols.length === wanted.size && r.cols.every((c) => wanted.has(c)));
}

/**
 * `rel` is the destination table as the stream writes it (column types, key, identity columns), its
 * columnMap the task's mapping of the source's columns. Rows are matched by the source key under its
 * mapped names, which must be unique on the destination too (else a delete could take other rows).
 */
export async function writeRepair(db: ClientBase, rel: RelationTarget, req: RepairRequest): Promise<RepairWritten> {
  const map = rel.columnMap;
  const mapped = mapRepair(req, (c) => (map ? (map.has(c) ? map.get(c)! : c) : c), (c) => rel.columnTypes.has(c));
  if (typeof mapped === 'string') throw new Error(mapped);
  if (!(await uniqueOn(db, rel, mapped.keyColumns))) {
    throw new Error(`${rel.key} has no unique index on (${mapped.keyColumns.join(', ')}), the key the rows are repaired by`);
  }
  const run = async (stmt: { text: string; values: (string | null)[] }): Promise<number> => (await db.query(stmt.text, stmt.values)).rowCount ?? 0;
  const deleted = await run(multiDelete({ ...rel, keyColumns: mapped.keyColumns }, mapped.keyRows));
  const inserted = mapped.rows.length ? await run(multiInsert(rel, mapped.columns, mapped.rows)) : 0;
  return { deleted, inserted };
}
