// Writes a repair (src/verify/repair-row.ts) on the destination: every destination row with one of the
// keys asked for is deleted, then the source's images are inserted. Used by the stream at the control row's
// place (src/apply/applier.ts) and, for a task that will never stream again, directly (activities/repair.ts).
import { mapRepair, type RepairRequest } from '../verify/repair-row';
import type { RelationTarget } from './change-buffer';
import { multiDelete, multiInsert } from './set-statements';
import type { Statement } from './statements';

export interface RepairWritten {
  deleted: number;
  inserted: number;
}

/**
 * `rel` is the destination table as the stream writes it (column types, key, identity columns), its
 * columnMap the task's mapping of the source's columns. Rows are matched by the source key under its
 * mapped names, which may differ from the destination's own primary key.
 */
export async function writeRepair(run: (stmt: Statement) => Promise<number>, rel: RelationTarget, req: RepairRequest): Promise<RepairWritten> {
  const map = rel.columnMap;
  const mapped = mapRepair(req, (c) => (map ? (map.has(c) ? map.get(c)! : c) : c), (c) => rel.columnTypes.has(c));
  if (typeof mapped === 'string') throw new Error(mapped);
  const deleted = await run(multiDelete({ ...rel, keyColumns: mapped.keyColumns }, mapped.keyRows));
  const inserted = mapped.rows.length ? await run(multiInsert(rel, mapped.columns, mapped.rows)) : 0;
  return { deleted, inserted };
}
