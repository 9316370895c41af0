// Reads the definition of the selected source tables (and of every partition of a partitioned one) from
// the catalog. Everything is read with search_path = '' so the server prints every object name
// schema-qualified, which lets ddl.ts map names.
import type { ClientBase } from 'pg';
import type { TableRef } from '../catalog/names';
import { partitionTreeSql } from '../catalog/partition-sql';
import { attgeneratedSql, serverVersionNum } from '../catalog/server-version';

export interface SequenceDef {
  oid: number;
  ref: TableRef;
  /** How the server prints the sequence as a regclass, used to find it in column defaults. */
  regclassText: string;
  dataType: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  comment: string | null;
}

export interface ColumnDef {
  name: string;
  typeOid: number;
  /** format_type() output, schema-qualified for user types. */
  typeSql: string;
  /** `COLLATE …` when the column's collation is not its type's. */
  collationSql: string | null;
  notNull: boolean;
  defaultSql: string | null;
  identity: '' | 'a' | 'd';
  identitySequence: SequenceDef | null;
  generatedSql: string | null;
  comment: string | null;
  /** Inherited from the parent (a partition's column): the parent's definition creates it. */
  inherited: boolean;
}

export interface ConstraintDef {
  name: string;
  type: 'p' | 'u' | 'c' | 'f' | 'x';
  /** For p/u/f: the constrained columns; for f: referenced table and columns too. */
  columns: string[];
  refTable?: TableRef;
  refColumns?: string[];
  /** pg_get_constraintdef(), incl. INCLUDE, NULLS NOT DISTINCT, DEFERRABLE, NOT VALID. */
  definition: string;
  comment: string | null;
  /**
   * Created by the parent's constraint (a partition's key or CHECK): not created on its own, only
   * given its source name and comment. The key's backing index's parent, for the name fix-up.
   */
  inherited: boolean;
  parentIndex: string | null;
}

export interface IndexDef {
  name: string;
  /** pg_get_indexdef(): `ON ONLY` for a partitioned table's index, whose partitions' indexes attach to it. */
  definition: string;
  comment: string | null;
  /** The partitioned index this one is attached to (its name; it lives in the parent table's schema). */
  parentIndex: string | null;
  /** Backs a constraint: created by the constraint; only its comment is the index's own. */
  constraint: boolean;
}

export interface PartitionInfo {
  /** The table this one is a partition of. */
  parent: TableRef;
  /** pg_get_expr(relpartbound): `FOR VALUES …` or `DEFAULT`. */
  bound: string;
  /** Depth below the selected root (1 = direct partition). */
  level: number;
}

export interface TableDef {
  ref: TableRef;
  /** r: ordinary, p: partitioned. */
  kind: 'r' | 'p';
  comment: string | null;
  columns: ColumnDef[];
  constraints: ConstraintDef[];
  indexes: IndexDef[];
  /** Sequences owned by a column (serial), not identity sequences. */
  ownedSequences: { sequence: SequenceDef; column: string }[];
  /** Sequences named in column defaults that the table does not own (nextval('shared_seq')). */
  defaultSequences: SequenceDef[];
  /** pg_get_partkeydef() of a partitioned table: `RANGE (at)`. */
  partitionKey: string | null;
  /** Set on a partition. */
  partition: PartitionInfo | null;
  /** A selected partitioned table's partitions at every level, parents before their partitions. */
  partitions: TableDef[];
}

export const SEQUENCE_SQL = `
  SELECT s.seqrelid::int AS oid, n.nspname AS schema, c.relname AS name, s.seqrelid::regclass::text AS regclass_text,
         format_type(s.seqtypid, NULL) AS data_type, s.seqstart::text AS start, s.seqincrement::text AS increment,
         s.seqmin::text AS min, s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle,
         obj_description(s.seqrelid, 'pg_class') AS comment
    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace`;

export function toSequence(r: Record<string, unknown>): SequenceDef {
  return {
    oid: r.oid as number,
    ref: { schema: r.schema as string, name: r.name as string },
    regclassText: r.regclass_text as string,
    dataType: r.data_type as string,
    start: r.start as string,
    increment: r.increment as string,
    min: r.min as string,
    max: r.max as string,
    cache: r.cache as string,
    cycle: r.cycle as boolean,
    comment: (r.comment as string | null) ?? null,
  };
}

interface RelationRow {
  oid: number;
  kind: 'r' | 'p';
  comment: string | null;
  partition_key: string | null;
}

async function readRelation(db: ClientBase, t: TableRef): Promise<RelationRow> {
  const { rows } = await db.query<RelationRow>(
    `SELECT c.oid::int AS oid, c.relkind::text AS kind, obj_description(c.oid, 'pg_class') AS comment,
            CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [t.schema, t.name],
  );
  if (!rows[0]) throw new Error(`source table ${t.schema}.${t.name} no longer exists`);
  return rows[0];
}

async function readColumns(db: ClientBase, oid: number): Promise<ColumnDef[]> {
  const version = await serverVersionNum(db);
  const { rows } = await db.query(
    `SELECT a.attname AS name, a.atttypid::int AS type_oid, format_type(a.atttypid, a.atttypmod) AS type_sql,
            a.attnotnull AS not_null, a.attidentity AS identity, ${attgeneratedSql(version)} AS generated,
            pg_get_expr(d.adbin, d.adrelid) AS expr, NOT a.attislocal AS inherited,
            col_description(a.attrelid, a.attnum) AS comment,
            CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                 THEN 'COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation_sql,
            CASE WHEN a.attidentity <> '' THEN pg_get_serial_sequence(a.attrelid::regclass::text, a.attname) END AS identity_seq
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       LEFT JOIN pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  const columns: ColumnDef[] = [];
  for (const r of rows) {
    let identitySequence: SequenceDef | null = null;
    if (r.identity_seq) {
      const seq = await db.query(`${SEQUENCE_SQL} WHERE s.seqrelid = $1::regclass`, [r.identity_seq]);
      identitySequence = toSequence(seq.rows[0]);
    }
    columns.push({
      name: r.name,
      typeOid: r.type_oid,
      typeSql: r.type_sql,
      collationSql: r.collation_sql,
      notNull: r.not_null,
      defaultSql: r.generated ? null : r.expr,
      identity: r.identity,
      identitySequence,
      generatedSql: r.generated ? r.expr : null,
      comment: r.comment,
      inherited: r.inherited,
    });
  }
  return columns;
}

async function readConstraints(db: ClientBase, oid: number): Promise<ConstraintDef[]> {
  // conparentid <> 0: a foreign key's clone onto a partition or onto a referenced partition, made by the
  // server from the parent constraint (pg_dump does not dump them either).
  const { rows } = await db.query(
    `SELECT con.conname AS name, con.contype AS type, pg_get_constraintdef(con.oid) AS definition,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns,
            rn.nspname AS ref_schema, rc.relname AS ref_name,
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i) AS ref_columns,
            obj_description(con.oid, 'pg_constraint') AS comment, NOT con.conislocal AS inherited,
            (SELECT pc.relname FROM pg_inherits h JOIN pg_class pc ON pc.oid = h.inhparent
              WHERE con.contype IN ('p', 'u', 'x') AND h.inhrelid = con.conindid) AS parent_index
       FROM pg_constraint con
       LEFT JOIN pg_class rc ON rc.oid = con.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE con.conrelid = $1 AND con.contype IN ('p', 'u', 'c', 'f', 'x') AND con.conparentid = 0 OR
            con.conrelid = $1 AND con.contype IN ('p', 'u', 'x') AND NOT con.conislocal
      ORDER BY con.contype DESC, con.conname`,
    [oid],
  );
  return rows.map((r) => ({
    name: r.name,
    type: r.type,
    columns: r.columns,
    definition: r.definition,
    comment: r.comment,
    inherited: r.inherited,
    parentIndex: r.parent_index,
    ...(r.type === 'f' ? { refTable: { schema: r.ref_schema, name: r.ref_name }, refColumns: r.ref_columns } : {}),
  }));
}

async function readIndexes(db: ClientBase, oid: number): Promise<IndexDef[]> {
  const { rows } = await db.query(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, obj_description(c.oid, 'pg_class') AS comment,
            (SELECT pc.relname FROM pg_inherits h JOIN pg_class pc ON pc.oid = h.inhparent WHERE h.inhrelid = i.indexrelid) AS parent_index,
            EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid) AS constraint
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = $1 ORDER BY c.relname`,
    [oid],
  );
  return rows.map((r) => ({ name: r.name, definition: r.definition, comment: r.comment, parentIndex: r.parent_index, constraint: r.constraint }));
}

/** Sequences the table's columns own (serial; identity sequences belong to their column's definition). */
async function readOwnedSequences(db: ClientBase, oid: number): Promise<TableDef['ownedSequences']> {
  const owned = await db.query(
    `${SEQUENCE_SQL} JOIN pg_depend dep ON dep.objid = s.seqrelid AND dep.classid = 'pg_class'::regclass AND dep.deptype = 'a'
       JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
     WHERE dep.refclassid = 'pg_class'::regclass AND dep.refobjid = $1`.replace('SELECT s.seqrelid', 'SELECT a.attname AS column_name, s.seqrelid'),
    [oid],
  );
  return owned.rows.map((r) => ({ sequence: toSequence(r), column: r.column_name }));
}

/**
 * Sequences the table's column defaults name (nextval('x'::regclass) depends on x). Read from the
 * defaults' own dependencies (indexed lookups), and only when a default holds a regclass constant: the
 * only way an expression depends on a relation.
 */
async function readDefaultSequences(db: ClientBase, oid: number, columns: ColumnDef[]): Promise<SequenceDef[]> {
  if (!columns.some((c) => c.defaultSql?.includes('::regclass'))) return [];
  const { rows } = await db.query(
    // ARRAY(...) steps make the server look up by index at each step (catalog statistics are often
    // missing, and a join walked every default's dependency of the database: 4 ms a table).
    `${SEQUENCE_SQL} WHERE s.seqrelid = ANY(ARRAY(
       SELECT dep.refobjid FROM pg_depend dep
        WHERE dep.classid = 'pg_attrdef'::regclass AND dep.objid = ANY(ARRAY(SELECT oid FROM pg_attrdef WHERE adrelid = $1))
          AND dep.refclassid = 'pg_class'::regclass))
     ORDER BY s.seqrelid`,
    [oid],
  );
  return rows.map(toSequence);
}

async function readOne(db: ClientBase, ref: TableRef, partition: PartitionInfo | null): Promise<TableDef> {
  const rel = await readRelation(db, ref);
  const columns = await readColumns(db, rel.oid);
  return {
    ref,
    kind: rel.kind,
    comment: rel.comment,
    columns,
    constraints: await readConstraints(db, rel.oid),
    indexes: await readIndexes(db, rel.oid),
    ownedSequences: await readOwnedSequences(db, rel.oid),
    defaultSequences: await readDefaultSequences(db, rel.oid, columns),
    partitionKey: rel.partition_key,
    partition,
    partitions: [],
  };
}

/** Every partition below a partitioned table, parents before their partitions, else in creation order. */
async function readPartitionTree(db: ClientBase, root: TableRef): Promise<{ ref: TableRef; info: PartitionInfo }[]> {
  const { rows } = await db.query(
    `SELECT n.nspname AS schema, c.relname AS name, pn.nspname AS parent_schema, p.relname AS parent_name, t.level,
            pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM ${partitionTreeSql('$1::regclass')} t JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_class p ON p.oid = t.parentrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
      WHERE t.level > 0 ORDER BY t.level, c.oid`,
    [`${quote(root.schema)}.${quote(root.name)}`],
  );
  return rows.map((r) => ({
    ref: { schema: r.schema, name: r.name },
    info: { parent: { schema: r.parent_schema, name: r.parent_name }, bound: r.bound, level: r.level },
  }));
}

const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export async function readTableDef(db: ClientBase, ref: TableRef): Promise<TableDef> {
  await db.query(`SET search_path = ''`);
  const def = await readOne(db, ref, null);
  if (def.kind === 'p') {
    for (const p of await readPartitionTree(db, ref)) def.partitions.push(await readOne(db, p.ref, p.info));
  }
  return def;
}
