// What the applier needs to know of a destination table, read from the destination's own catalog: the
// column types to cast to, the key that identifies a row there, and the constraints that matter for
// writing a batch set-wise. Read once per relation message (a new session, or after the source's DDL).
import type { Client } from 'pg';
import { tableKey, type TableRef } from '../catalog/names';
import { qualified } from '../util/sql';
import type { RelationTarget } from './change-buffer';
import type { RelationRowFilter } from './row-filter-decision';

interface ColumnRow {
  name: string;
  type: string;
  always_identity: boolean;
}

interface IndexRow {
  cols: string[];
  plain_unique: boolean;
}

/** How the task treats one selected table's changes, beyond its destination name. */
export interface TableRules {
  dml: ReadonlySet<string>;
  columnMap: ReadonlyMap<string, string | null> | null;
  joinedAt?: bigint;
  rowFilter?: RelationRowFilter;
}

export async function loadRelationTarget(db: Client, target: TableRef, sourceKey: string[], rules: TableRules): Promise<RelationTarget> {
  const regclass = qualified(target);
  const columns = await db.query<ColumnRow>(
    `SELECT attname::text AS name, format_type(atttypid, atttypmod) AS type, attidentity = 'a' AS always_identity
       FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
    [regclass],
  );
  // Unique and exclusion indexes, the primary key first; a key must be plain (no predicate, no expression).
  const indexes = await db.query<IndexRow>(
    `SELECT ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) AS cols,
            i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AS plain_unique
       FROM pg_index i WHERE i.indrelid = $1::regclass AND (i.indisunique OR i.indisexclusion)
      ORDER BY i.indisprimary DESC, i.indexrelid`,
    [regclass],
  );
  const key = indexes.rows.find((i) => i.plain_unique);
  return {
    key: tableKey(target),
    target,
    keyColumns: key ? key.cols : mapColumnNames(sourceKey, rules.columnMap),
    keyIndexed: !!key,
    alwaysIdentity: columns.rows.filter((c) => c.always_identity).map((c) => c.name),
    hasOtherUniques: indexes.rows.length > (key ? 1 : 0),
    columnTypes: new Map(columns.rows.map((c) => [c.name, c.type])),
    dml: rules.dml,
    columnMap: rules.columnMap,
    ...(rules.joinedAt === undefined ? {} : { joinedAt: rules.joinedAt }),
    ...(rules.rowFilter ? { rowFilter: rules.rowFilter } : {}),
  };
}

function mapColumnNames(columns: string[], map: ReadonlyMap<string, string | null> | null): string[] {
  if (!map) return columns;
  return columns.flatMap((c) => {
    const to = map.get(c);
    return to === null ? [] : [to ?? c];
  });
}

/** A row under destination column names, without excluded columns (unchanged-TOAST markers kept). */
export function mapRow<T extends Record<string, unknown>>(row: T, map: ReadonlyMap<string, string | null>): T {
  const out: Record<string, unknown> = {};
  for (const c in row) {
    const to = map.get(c);
    if (to !== null) out[to ?? c] = row[c];
  }
  return out as T;
}
