// Reads the definition of the selected source tables from the catalog. Everything is read with
// search_path = '' so the server prints every object name schema-qualified, which lets ddl.ts map names.
import type { ClientBase } from 'pg';
import type { TableRef } from '../catalog/names';

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
}

export interface ColumnDef {
  name: string;
  typeOid: number;
  /** format_type() output, schema-qualified for user types. */
  typeSql: string;
  notNull: boolean;
  defaultSql: string | null;
  identity: '' | 'a' | 'd';
  identitySequence: SequenceDef | null;
  generatedSql: string | null;
}

export interface ConstraintDef {
  name: string;
  type: 'p' | 'u' | 'c' | 'f';
  /** For p/u/f: the constrained columns; for f: referenced table and columns too. */
  columns: string[];
  refTable?: TableRef;
  refColumns?: string[];
  /** pg_get_constraintdef(): used verbatim for CHECK, and for the FK's trailing clauses. */
  definition: string;
}

export interface TableDef {
  ref: TableRef;
  columns: ColumnDef[];
  constraints: ConstraintDef[];
  /** pg_get_indexdef() of indexes that do not back a constraint. */
  indexes: { name: string; definition: string }[];
  /** Sequences owned by a column (serial), not identity sequences. */
  ownedSequences: { sequence: SequenceDef; column: string }[];
}

const SEQUENCE_SQL = `
  SELECT s.seqrelid::int AS oid, n.nspname AS schema, c.relname AS name, s.seqrelid::regclass::text AS regclass_text,
         format_type(s.seqtypid, NULL) AS data_type, s.seqstart::text AS start, s.seqincrement::text AS increment,
         s.seqmin::text AS min, s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle
    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace`;

function toSequence(r: Record<string, unknown>): SequenceDef {
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
  };
}

async function tableOid(db: ClientBase, t: TableRef): Promise<number> {
  const { rows } = await db.query<{ oid: number }>(
    `SELECT c.oid::int AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [t.schema, t.name],
  );
  if (!rows[0]) throw new Error(`source table ${t.schema}.${t.name} no longer exists`);
  return rows[0].oid;
}

async function readColumns(db: ClientBase, oid: number): Promise<ColumnDef[]> {
  const { rows } = await db.query(
    `SELECT a.attname AS name, a.atttypid::int AS type_oid, format_type(a.atttypid, a.atttypmod) AS type_sql,
            a.attnotnull AS not_null, a.attidentity AS identity, a.attgenerated AS generated,
            pg_get_expr(d.adbin, d.adrelid) AS expr,
            pg_get_serial_sequence(a.attrelid::regclass::text, a.attname) AS serial_seq
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  const columns: ColumnDef[] = [];
  for (const r of rows) {
    let identitySequence: SequenceDef | null = null;
    if (r.identity && r.serial_seq) {
      const seq = await db.query(`${SEQUENCE_SQL} WHERE s.seqrelid = $1::regclass`, [r.serial_seq]);
      identitySequence = toSequence(seq.rows[0]);
    }
    columns.push({
      name: r.name,
      typeOid: r.type_oid,
      typeSql: r.type_sql,
      notNull: r.not_null,
      defaultSql: r.generated ? null : r.expr,
      identity: r.identity,
      identitySequence,
      generatedSql: r.generated ? r.expr : null,
    });
  }
  return columns;
}

async function readConstraints(db: ClientBase, oid: number): Promise<ConstraintDef[]> {
  const { rows } = await db.query(
    `SELECT con.conname AS name, con.contype AS type, pg_get_constraintdef(con.oid) AS definition,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns,
            rn.nspname AS ref_schema, rc.relname AS ref_name,
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i) AS ref_columns
       FROM pg_constraint con
       LEFT JOIN pg_class rc ON rc.oid = con.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE con.conrelid = $1 AND con.contype IN ('p', 'u', 'c', 'f') ORDER BY con.contype DESC, con.conname`,
    [oid],
  );
  return rows.map((r) => ({
    name: r.name,
    type: r.type,
    columns: r.columns,
    definition: r.definition,
    ...(r.type === 'f' ? { refTable: { schema: r.ref_schema, name: r.ref_name }, refColumns: r.ref_columns } : {}),
  }));
}

export async function readTableDef(db: ClientBase, ref: TableRef): Promise<TableDef> {
  await db.query(`SET search_path = ''`);
  const oid = await tableOid(db, ref);
  const indexes = await db.query(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
      ORDER BY c.relname`,
    [oid],
  );
  const owned = await db.query(
    `${SEQUENCE_SQL} JOIN pg_depend dep ON dep.objid = s.seqrelid AND dep.classid = 'pg_class'::regclass AND dep.deptype = 'a'
       JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
     WHERE dep.refclassid = 'pg_class'::regclass AND dep.refobjid = $1`.replace('SELECT s.seqrelid', 'SELECT a.attname AS column_name, s.seqrelid'),
    [oid],
  );
  return {
    ref,
    columns: await readColumns(db, oid),
    constraints: await readConstraints(db, oid),
    indexes: indexes.rows,
    ownedSequences: owned.rows.map((r) => ({ sequence: toSequence(r), column: r.column_name })),
  };
}
