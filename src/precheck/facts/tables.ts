// Per-table facts of the selected source tables, in one query for the whole selection (a task may select
// thousands): columns, the key pg-dts would use, replica identity, privileges, partition key and size.
import type { ClientBase } from 'pg';
import type { TableRef } from '../../catalog/names';
import type { TableFacts } from './types';

export interface LocatedTables {
  facts: TableFacts[];
  /** pg_class oids of `facts`, same order: the other set-based queries take these. */
  oids: number[];
}

// The key choice matches src/snapshot/plan.ts (readKeyColumns): primary key first, then the unique index
// with the fewest key columns; partial, expression and nullable-column indexes never qualify.
const tablesSql = (versionNum: number): string => {
  // INCLUDE columns (11+) are not part of the key; before 11 every index column is a key column.
  const NKEYS = versionNum >= 110000 ? 'i.indnkeyatts' : 'i.indnatts';
  return `
  WITH sel AS (
    SELECT c.oid, s.ord FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS s(schema, name, ord)
      JOIN pg_namespace n ON n.nspname = s.schema
      JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.name)
  SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind, c.relispartition AS part,
         pg_has_role(c.relowner, 'USAGE') AS owned,
         has_table_privilege(c.oid, 'SELECT') AND has_schema_privilege(n.oid, 'USAGE') AS can_select,
         c.relreplident::text AS identity,
         ARRAY(SELECT a.attname::text FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
         k.index_name, k.primary_key,
         ARRAY(SELECT a.attname::text FROM unnest(k.cols) WITH ORDINALITY AS kc(attnum, pos)
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = kc.attnum
                WHERE kc.pos <= k.nkeys ORDER BY kc.pos) AS key_columns,
         tree.part_columns, tree.part_def, tree.bytes
    FROM sel JOIN pg_class c ON c.oid = sel.oid JOIN pg_namespace n ON n.oid = c.relnamespace
    -- The partition tree below a partitioned table (just the table itself otherwise): its size, and the
    -- partition keys of every partitioned level (excluding one of those columns breaks routing).
    CROSS JOIN LATERAL (
      WITH RECURSIVE t(relid) AS (
        SELECT c.oid UNION ALL
        SELECT i.inhrelid FROM pg_inherits i JOIN t ON i.inhparent = t.relid JOIN pg_class pc ON pc.oid = i.inhrelid
         WHERE pc.relispartition)
      SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)::float8 AS bytes,
             ARRAY(SELECT DISTINCT a.attname::text FROM t tt JOIN pg_partitioned_table pt ON pt.partrelid = tt.relid
                     CROSS JOIN unnest(pt.partattrs::int2[]) AS pa(attnum)
                     JOIN pg_attribute a ON a.attrelid = tt.relid AND a.attnum = pa.attnum) AS part_columns,
             (SELECT string_agg(pg_get_partkeydef(tt.relid), '; ') FROM t tt JOIN pg_partitioned_table pt ON pt.partrelid = tt.relid) AS part_def
        FROM t) tree
    LEFT JOIN LATERAL (
      SELECT ic.relname::text AS index_name, i.indisprimary AS primary_key, i.indkey::int2[] AS cols, ${NKEYS} AS nkeys
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
       WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
         AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = ANY (i.indkey) AND NOT a.attnotnull)
       ORDER BY i.indisprimary DESC, ${NKEYS}, i.indexrelid LIMIT 1) k ON true
   ORDER BY sel.ord`;
};

export async function gatherTables(db: ClientBase, tables: TableRef[], versionNum: number): Promise<LocatedTables> {
  const { rows } = await db.query(tablesSql(versionNum), [tables.map((t) => t.schema), tables.map((t) => t.name)]);
  return {
    oids: rows.map((r) => Number(r.oid)),
    facts: rows.map((r) => ({
      ref: { schema: r.schema, name: r.name },
      relkind: r.relkind,
      relispartition: r.part,
      owned: r.owned,
      canSelect: r.can_select,
      replicaIdentity: r.identity,
      columns: r.columns,
      key: r.index_name ? { index: r.index_name, primary: r.primary_key, columns: r.key_columns } : null,
      partitionKeyColumns: r.part_columns,
      partitionKeyDef: r.part_def,
      bytes: r.bytes,
    })),
  };
}
