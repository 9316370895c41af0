// Sequences beyond a table's own columns, and copying every synced sequence's position so the
// destination can take over writes without reusing numbers.
import type { ClientBase } from 'pg';
import { columnMapper, targetTableName, type Mapping, type SelectedTable, type TableRef } from '../catalog/names';
import { literal, qualified } from '../util/sql';
import { SEQUENCE_SQL, toSequence, type SequenceDef } from './introspect';
import { partitionTreeSql } from '../catalog/partition-sql';

/** Schemas selected whole (no `tables` list): their standalone sequences are synced too. */
export const wholeSchemas = (spec: Mapping): string[] => spec.objects.filter((o) => !o.tables).map((o) => o.schema);

/** The sequences of the given schemas, except identity sequences (their column's definition creates them). */
export async function readSchemaSequences(db: ClientBase, schemas: string[]): Promise<SequenceDef[]> {
  if (!schemas.length) return [];
  const { rows } = await db.query(
    `${SEQUENCE_SQL} WHERE n.nspname = ANY($1::text[])
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid AND d.deptype = 'i')
      ORDER BY n.nspname, c.relname`,
    [schemas],
  );
  return rows.map(toSequence);
}

export interface SyncedSequence {
  sequence: TableRef;
  /** The column owning it (serial or identity): found on the destination through that column. */
  owner?: { table: TableRef; column: string };
}

/**
 * Every sequence a task syncs: those owned by a column of a selected table or of one of its partitions
 * (serial, identity), those its column defaults name, and those of wholly selected schemas.
 */
export async function syncedSequences(db: ClientBase, spec: Mapping, tables: SelectedTable[]): Promise<SyncedSequence[]> {
  const { rows } = await db.query(
    `WITH tree AS (
       SELECT t.relid FROM unnest($1::text[]) r(name), LATERAL ${partitionTreeSql('to_regclass(r.name)')} t
       UNION SELECT to_regclass(r.name) FROM unnest($1::text[]) r(name) WHERE to_regclass(r.name) IS NOT NULL),
     used AS (
       SELECT d.objid AS seq, d.refobjid AS owner_rel, d.refobjsubid AS owner_att FROM pg_depend d
        WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
          AND d.refobjid IN (SELECT relid FROM tree) AND d.refobjsubid > 0
       UNION
       SELECT d.refobjid, NULL, NULL FROM pg_attrdef ad JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
        WHERE ad.adrelid IN (SELECT relid FROM tree) AND d.refclassid = 'pg_class'::regclass
       UNION
       SELECT c.oid, NULL, NULL FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'S' AND n.nspname = ANY($2::text[]))
     SELECT DISTINCT ON (u.seq) sn.nspname AS seq_schema, sc.relname AS seq_name,
            tn.nspname AS owner_schema, tc.relname AS owner_name, a.attname AS owner_column
       FROM used u JOIN pg_class sc ON sc.oid = u.seq AND sc.relkind = 'S' JOIN pg_namespace sn ON sn.oid = sc.relnamespace
       LEFT JOIN pg_class tc ON tc.oid = u.owner_rel LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = u.owner_rel AND a.attnum = u.owner_att
      ORDER BY u.seq, u.owner_rel NULLS LAST`,
    [tables.map((t) => qualified(t.source)), wholeSchemas(spec)],
  );
  return rows.map((r) => ({
    sequence: { schema: r.seq_schema, name: r.seq_name },
    ...(r.owner_column ? { owner: { table: { schema: r.owner_schema, name: r.owner_name }, column: r.owner_column } } : {}),
  }));
}

/** The destination sequence of a synced one, or null when it does not exist there. */
export async function destinationSequence(db: ClientBase, spec: Mapping, s: SyncedSequence): Promise<string | null> {
  if (s.owner) {
    const column = columnMapper(spec, s.owner.table)(s.owner.column);
    if (column === null) return null;
    const { rows } = await db.query(`SELECT pg_get_serial_sequence($1, $2) AS seq`, [qualified(targetTableName(spec, s.owner.table)), column]);
    if (rows[0]?.seq) return rows[0].seq;
  }
  const { rows } = await db.query(`SELECT to_regclass($1)::text AS seq`, [qualified(targetTableName(spec, s.sequence))]);
  return rows[0]?.seq ?? null;
}

/** Copies sequence positions (serial, identity, defaults' and standalone ones). Returns how many. */
export async function syncSequencePositions(source: ClientBase, destination: ClientBase, spec: Mapping, tables: SelectedTable[]): Promise<number> {
  let count = 0;
  for (const s of await syncedSequences(source, spec, tables)) {
    const target = await destinationSequence(destination, spec, s);
    if (!target) continue;
    const state = await source.query(`SELECT last_value::text AS v, is_called FROM ${qualified(s.sequence)}`);
    await destination.query(`SELECT setval(${literal(target)}::regclass, $1::bigint, $2)`, [state.rows[0].v, state.rows[0].is_called]);
    count++;
  }
  return count;
}
