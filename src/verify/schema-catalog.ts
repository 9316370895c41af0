// Catalog reads of schema verification: the same queries on both servers, one per kind for all the
// compared tables (never one per table), with the session's search_path '' so every name the server
// prints is schema-qualified (src/verify/sql.ts prepareSession). What is read mirrors what schema sync
// reads (src/schema/introspect.ts): the same definitions, printed by the server.
import type { ClientBase } from 'pg';
import type { TableRef } from '../catalog/names';
import { partitionTreeSql } from '../catalog/partition-sql';
import { attgeneratedSql, serverVersionNum } from '../catalog/server-version';
import { SEQUENCE_SQL, toSequence, type SequenceDef } from '../schema/introspect';

export interface RawColumn {
  name: string;
  /** format_type(), schema-qualified for user types. */
  typeSql: string;
  collationSql: string | null;
  notNull: boolean;
  identity: '' | 'a' | 'd';
  /** A stored generated column's expression. */
  generatedSql: string | null;
  defaultSql: string | null;
  /** The enum, domain or composite type the column uses (itself or as an array's element): schema sync creates it, mapped. */
  userType: { text: string; ref: TableRef } | null;
}

export interface RawConstraint {
  name: string;
  type: 'p' | 'u' | 'c' | 'f' | 'x';
  definition: string;
  refTable?: TableRef;
}

export interface RawIndex {
  name: string;
  definition: string;
  valid: boolean;
  /** Backs a constraint: compared as the constraint. */
  constraint: boolean;
}

export interface RawTable {
  ref: TableRef;
  oid: number;
  /** How the server prints it (regclass text). */
  printed: string;
  columns: RawColumn[];
  constraints: RawConstraint[];
  indexes: RawIndex[];
  /** Sequences its column defaults name (nextval('…'::regclass)). */
  sequences: { printed: string; ref: TableRef }[];
}

const key = (t: TableRef): string => `${t.schema}.${t.name}`;

/** The ordinary and partitioned tables of `refs` that exist, by "schema.name", with everything compared. */
export async function readTables(db: ClientBase, refs: TableRef[]): Promise<Map<string, RawTable>> {
  const out = new Map<string, RawTable>();
  if (!refs.length) return out;
  const rels = await db.query<{ oid: string; schema: string; name: string; printed: string }>(
    `SELECT c.oid::int8 AS oid, r.schema, r.name, c.oid::regclass::text AS printed
       FROM unnest($1::text[], $2::text[]) r(schema, name)
       JOIN pg_namespace n ON n.nspname = r.schema JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.name AND c.relkind IN ('r', 'p')`,
    [refs.map((r) => r.schema), refs.map((r) => r.name)],
  );
  const byOid = new Map<number, RawTable>();
  for (const r of rels.rows) {
    const t: RawTable = { ref: { schema: r.schema, name: r.name }, oid: Number(r.oid), printed: r.printed, columns: [], constraints: [], indexes: [], sequences: [] };
    byOid.set(t.oid, t);
    out.set(key(t.ref), t);
  }
  const oids = [...byOid.keys()];
  if (!oids.length) return out;
  for (const r of (await db.query(columnsSql(await serverVersionNum(db)), [oids])).rows) {
    byOid.get(Number(r.rel))!.columns.push({
      name: r.name, typeSql: r.type_sql, collationSql: r.collation_sql, notNull: r.not_null, identity: r.identity,
      generatedSql: r.generated ? r.expr : null, defaultSql: r.generated ? null : r.expr,
      userType: r.utype_text ? { text: r.utype_text, ref: { schema: r.utype_schema, name: r.utype_name } } : null,
    });
  }
  for (const r of (await db.query(CONSTRAINTS_SQL, [oids])).rows) {
    byOid.get(Number(r.rel))!.constraints.push({
      name: r.name, type: r.type, definition: r.definition, ...(r.type === 'f' ? { refTable: { schema: r.ref_schema, name: r.ref_name } } : {}),
    });
  }
  for (const r of (await db.query(INDEXES_SQL, [oids])).rows) {
    byOid.get(Number(r.rel))!.indexes.push({ name: r.name, definition: r.definition, valid: r.valid, constraint: r.constraint });
  }
  for (const r of (await db.query(DEFAULT_SEQUENCES_SQL, [oids])).rows) {
    byOid.get(Number(r.rel))!.sequences.push({ printed: r.printed, ref: { schema: r.schema, name: r.name } });
  }
  return out;
}

const columnsSql = (version: number): string => `
  SELECT a.attrelid::int8 AS rel, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type_sql,
         a.attnotnull AS not_null, a.attidentity::text AS identity, ${attgeneratedSql(version)} <> '' AS generated,
         pg_get_expr(d.adbin, d.adrelid) AS expr,
         CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
              THEN 'COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation_sql,
         ut.text AS utype_text, ut.schema AS utype_schema, ut.name AS utype_name
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    LEFT JOIN pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
    LEFT JOIN LATERAL (
      SELECT format_type(u.oid, NULL) AS text, un.nspname AS schema, u.typname AS name
        FROM pg_type u JOIN pg_namespace un ON un.oid = u.typnamespace
       WHERE u.oid = CASE WHEN t.typelem <> 0 AND t.typtype = 'b' THEN t.typelem ELSE t.oid END
         AND u.typtype IN ('e', 'd', 'c') AND un.nspname NOT IN ('pg_catalog', 'information_schema') AND un.nspname NOT LIKE 'pg_toast%') ut ON true
   WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
   ORDER BY a.attrelid, a.attnum`;

// As schema sync reads them: a foreign key's clones onto partitions (conparentid <> 0) are the server's;
// a partition's keys made by its parent's are compared (schema sync gives them the source's names).
const CONSTRAINTS_SQL = `
  SELECT con.conrelid::int8 AS rel, con.conname AS name, con.contype::text AS type, pg_get_constraintdef(con.oid) AS definition,
         rn.nspname AS ref_schema, rc.relname AS ref_name
    FROM pg_constraint con
    LEFT JOIN pg_class rc ON rc.oid = con.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
   WHERE con.conrelid = ANY($1::oid[])
     AND (con.contype IN ('p', 'u', 'c', 'f', 'x') AND con.conparentid = 0 OR con.contype IN ('p', 'u', 'x') AND NOT con.conislocal)
   ORDER BY con.conrelid, con.conname`;

const INDEXES_SQL = `
  SELECT i.indrelid::int8 AS rel, c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, i.indisvalid AS valid,
         EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid) AS constraint
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   WHERE i.indrelid = ANY($1::oid[])
   ORDER BY i.indrelid, c.relname`;

const DEFAULT_SEQUENCES_SQL = `
  SELECT DISTINCT ad.adrelid::int8 AS rel, s.seqrelid::regclass::text AS printed, n.nspname AS schema, c.relname AS name
    FROM pg_attrdef ad
    JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass
    JOIN pg_sequence s ON s.seqrelid = d.refobjid JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE ad.adrelid = ANY($1::oid[])`;

/** Every partition (all levels) of each table of `roots`, by the root's "schema.name"; parents first. */
export async function readPartitions(db: ClientBase, roots: TableRef[]): Promise<Map<string, TableRef[]>> {
  const out = new Map<string, TableRef[]>();
  if (!roots.length) return out;
  const { rows } = await db.query<{ i: string; schema: string; name: string }>(
    `SELECT r.i, n.nspname AS schema, c.relname AS name
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY r(schema, name, i),
            LATERAL ${partitionTreeSql(`to_regclass(quote_ident(r.schema) || '.' || quote_ident(r.name))`)} t
       JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE t.level > 0 ORDER BY r.i, t.level, c.oid`,
    [roots.map((r) => r.schema), roots.map((r) => r.name)],
  );
  for (const r of rows) {
    const root = key(roots[Number(r.i) - 1]!);
    out.set(root, [...(out.get(root) ?? []), { schema: r.schema, name: r.name }]);
  }
  return out;
}

/** How this server prints each qualified name (quote_ident of both parts, as regclass and format_type do). */
export async function printedNames(db: ClientBase, refs: TableRef[]): Promise<string[]> {
  if (!refs.length) return [];
  const { rows } = await db.query<{ printed: string }>(
    `SELECT quote_ident(s) || '.' || quote_ident(n) AS printed FROM unnest($1::text[], $2::text[]) WITH ORDINALITY x(s, n, i) ORDER BY i`,
    [refs.map((r) => r.schema), refs.map((r) => r.name)],
  );
  return rows.map((r) => r.printed);
}

/** The definitions of the sequences `names` (regclass input; names that resolve to no sequence are left out). */
export async function readSequenceDefs(db: ClientBase, names: string[]): Promise<SequenceDef[]> {
  if (!names.length) return [];
  const { rows } = await db.query(`${SEQUENCE_SQL} WHERE s.seqrelid = ANY(ARRAY(SELECT to_regclass(x) FROM unnest($1::text[]) x))`, [names]);
  return rows.map(toSequence);
}

/**
 * The destination's sequence for each synced one (src/schema/sequences.ts destinationSequence, in one
 * query): through its owning column when it has one, else by its mapped name. Null where there is none.
 */
export async function destinationSequences(db: ClientBase, wanted: { owner: { table: string; column: string } | null; name: string }[]): Promise<(string | null)[]> {
  if (!wanted.length) return [];
  const { rows } = await db.query<{ seq: string | null }>(
    `SELECT coalesce(
              CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = to_regclass(x.tbl) AND a.attname = x.col AND NOT a.attisdropped)
                   THEN pg_get_serial_sequence(x.tbl, x.col) END,
              (SELECT c.oid::regclass::text FROM pg_class c WHERE c.oid = to_regclass(x.seq) AND c.relkind = 'S')) AS seq
       FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY x(tbl, col, seq, i) ORDER BY x.i`,
    [wanted.map((w) => w.owner?.table ?? null), wanted.map((w) => w.owner?.column ?? null), wanted.map((w) => w.name)],
  );
  return rows.map((r) => r.seq);
}
