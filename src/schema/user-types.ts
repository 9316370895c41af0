// User-defined types the selected tables use (enums, domains, composites), in creation order:
// a type's dependencies come before it.
import type { ClientBase } from 'pg';
import type { TableRef } from '../catalog/names';

export interface UserTypeDef {
  oid: number;
  ref: TableRef;
  /** format_type() text under search_path = '', to find the type in other definitions. */
  sqlText: string;
  kind: 'enum' | 'domain' | 'composite';
  labels: string[];
  baseTypeSql: string | null;
  notNull: boolean;
  defaultSql: string | null;
  /** A domain's `COLLATE …` when it is not its base type's. */
  collationSql: string | null;
  /** A domain's CHECK constraints, by name (an unnamed one would get another generated name). */
  checks: { name: string; definition: string; comment: string | null }[];
  /** A composite's attributes; typeSql includes a COLLATE that is not the attribute type's. */
  attributes: { name: string; typeSql: string }[];
  comment: string | null;
}

interface TypeRow {
  oid: number;
  schema: string;
  name: string;
  sql_text: string;
  typtype: string;
  elem: number;
  base: number;
  base_sql: string | null;
  not_null: boolean;
  default_sql: string | null;
  relid: number;
  collation_sql: string | null;
  comment: string | null;
}

async function readType(db: ClientBase, oid: number): Promise<TypeRow | undefined> {
  const { rows } = await db.query<TypeRow>(
    `SELECT t.oid::int AS oid, n.nspname AS schema, t.typname AS name, format_type(t.oid, NULL) AS sql_text,
            t.typtype::text AS typtype, t.typelem::int AS elem, t.typbasetype::int AS base,
            CASE WHEN t.typbasetype <> 0 THEN format_type(t.typbasetype, t.typtypmod) END AS base_sql,
            t.typnotnull AS not_null, t.typdefault AS default_sql, t.typrelid::int AS relid,
            obj_description(t.oid, 'pg_type') AS comment,
            (SELECT 'COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
               FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace JOIN pg_type b ON b.oid = t.typbasetype
              WHERE co.oid = t.typcollation AND t.typcollation <> b.typcollation) AS collation_sql
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = $1`,
    [oid],
  );
  return rows[0];
}

const isSystemSchema = (schema: string): boolean =>
  schema === 'pg_catalog' || schema === 'information_schema' || schema.startsWith('pg_toast');

export async function readUserTypes(db: ClientBase, typeOids: number[]): Promise<UserTypeDef[]> {
  await db.query(`SET search_path = ''`);
  const ordered: UserTypeDef[] = [];
  const visited = new Set<number>();

  const visit = async (oid: number): Promise<void> => {
    if (!oid || visited.has(oid)) return;
    visited.add(oid);
    const t = await readType(db, oid);
    if (!t) return;
    if (t.elem && t.typtype === 'b') return visit(t.elem); // an array: its element type is what is created
    if (isSystemSchema(t.schema) || !['e', 'd', 'c'].includes(t.typtype)) return;
    const def: UserTypeDef = {
      oid, ref: { schema: t.schema, name: t.name }, sqlText: t.sql_text,
      kind: t.typtype === 'e' ? 'enum' : t.typtype === 'd' ? 'domain' : 'composite',
      labels: [], baseTypeSql: t.base_sql, notNull: t.not_null, defaultSql: t.default_sql, collationSql: t.collation_sql,
      checks: [], attributes: [], comment: t.comment,
    };
    if (def.kind === 'enum') {
      const r = await db.query(`SELECT enumlabel FROM pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder`, [oid]);
      def.labels = r.rows.map((x) => x.enumlabel);
    } else if (def.kind === 'domain') {
      await visit(t.base);
      const r = await db.query(
        `SELECT conname AS name, pg_get_constraintdef(oid) AS definition, obj_description(oid, 'pg_constraint') AS comment
           FROM pg_constraint WHERE contypid = $1 AND contype = 'c' ORDER BY conname`, [oid]);
      def.checks = r.rows;
    } else {
      const r = await db.query(
        `SELECT a.attname AS name, a.atttypid::int AS type_oid,
                format_type(a.atttypid, a.atttypmod) ||
                  CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation
                       THEN ' COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname) ELSE '' END AS type_sql
           FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
           LEFT JOIN pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
          WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [t.relid]);
      for (const a of r.rows) await visit(a.type_oid);
      def.attributes = r.rows.map((a) => ({ name: a.name, typeSql: a.type_sql }));
    }
    ordered.push(def);
  };

  for (const oid of typeOids) await visit(oid);
  return ordered;
}
