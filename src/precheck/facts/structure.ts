// How the selected source tables hang together with other objects: inheritance, partition trees,
// sequences behind column defaults, extension membership, TimescaleDB hypertables. One query per concern
// over the selection's oids.
import type { ClientBase } from 'pg';
import type { TableRef } from '../../catalog/names';
import type { ExtensionMember, InheritanceLink, PartitionOfRoot, SequenceUse } from './types';

type Row = Record<string, string>;
const ref = (r: Row, prefix: string): TableRef => ({ schema: r[`${prefix}_schema`]!, name: r[`${prefix}_name`]! });

/** Plain (non-partition) inheritance with a selected table as parent or child. */
export async function gatherInheritance(db: ClientBase, oids: number[]): Promise<InheritanceLink[]> {
  const { rows } = await db.query<Row>(
    `SELECT pn.nspname AS parent_schema, p.relname AS parent_name, cn.nspname AS child_schema, c.relname AS child_name
       FROM pg_inherits i
       JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
       JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
      WHERE NOT c.relispartition AND (i.inhparent = ANY ($1::oid[]) OR i.inhrelid = ANY ($1::oid[]))
      ORDER BY 1, 2, 3, 4`,
    [oids],
  );
  return rows.map((r) => ({ parent: ref(r, 'parent'), child: ref(r, 'child') }));
}

/**
 * Selected partitions with the root of their tree, and partitions (at any depth) of selected partitioned
 * tables that are foreign tables. Walks pg_inherits (pg_partition_root only exists from 12 on).
 */
export async function gatherPartitions(db: ClientBase, oids: number[]): Promise<{ partitionsOfRoots: PartitionOfRoot[]; foreignPartitions: PartitionOfRoot[] }> {
  const up = await db.query<Row>(
    `WITH RECURSIVE chain(part, anc) AS (
       SELECT c.oid, i.inhparent FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
        WHERE c.oid = ANY ($1::oid[]) AND c.relispartition
       UNION ALL
       SELECT chain.part, i.inhparent FROM chain JOIN pg_class a ON a.oid = chain.anc AND a.relispartition
         JOIN pg_inherits i ON i.inhrelid = a.oid)
     SELECT pn.nspname AS part_schema, p.relname AS part_name, rn.nspname AS root_schema, r.relname AS root_name
       FROM chain JOIN pg_class r ON r.oid = chain.anc AND NOT r.relispartition JOIN pg_namespace rn ON rn.oid = r.relnamespace
       JOIN pg_class p ON p.oid = chain.part JOIN pg_namespace pn ON pn.oid = p.relnamespace
      ORDER BY 1, 2`,
    [oids],
  );
  const down = await db.query<Row>(
    `WITH RECURSIVE tree(root, rel) AS (
       SELECT c.oid, c.oid FROM pg_class c WHERE c.oid = ANY ($1::oid[]) AND c.relkind = 'p'
       UNION ALL
       SELECT tree.root, i.inhrelid FROM tree JOIN pg_inherits i ON i.inhparent = tree.rel)
     SELECT rn.nspname AS root_schema, r.relname AS root_name, pn.nspname AS part_schema, p.relname AS part_name
       FROM tree JOIN pg_class p ON p.oid = tree.rel AND p.relkind = 'f' JOIN pg_namespace pn ON pn.oid = p.relnamespace
       JOIN pg_class r ON r.oid = tree.root JOIN pg_namespace rn ON rn.oid = r.relnamespace
      ORDER BY 1, 2, 3, 4`,
    [oids],
  );
  const pair = (r: Row): PartitionOfRoot => ({ partition: ref(r, 'part'), root: ref(r, 'root') });
  return { partitionsOfRoots: up.rows.map(pair), foreignPartitions: down.rows.map(pair) };
}

/** Column defaults of the selected tables that call nextval() (serial columns too), with the sequence's owner. */
export async function gatherSequenceUses(db: ClientBase, oids: number[]): Promise<SequenceUse[]> {
  const { rows } = await db.query<Row>(
    `SELECT tn.nspname AS table_schema, t.relname AS table_name, a.attname AS column_name,
            sn.nspname AS seq_schema, s.relname AS seq_name, own_n.nspname AS owner_schema, own.relname AS owner_name
       FROM pg_attrdef ad
       JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass
       JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
       JOIN pg_class t ON t.oid = ad.adrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
       JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
       LEFT JOIN pg_depend od ON od.classid = 'pg_class'::regclass AND od.objid = s.oid
                              AND od.refclassid = 'pg_class'::regclass AND od.deptype IN ('a', 'i')
       LEFT JOIN pg_class own ON own.oid = od.refobjid LEFT JOIN pg_namespace own_n ON own_n.oid = own.relnamespace
      WHERE ad.adrelid = ANY ($1::oid[])
      ORDER BY 1, 2, 3`,
    [oids],
  );
  return rows.map((r) => ({
    table: ref(r, 'table'),
    column: r.column_name!,
    sequence: ref(r, 'seq'),
    owner: r.owner_name ? ref(r, 'owner') : null,
  }));
}

/** Selected tables, and the schemas they live in, that belong to an extension (pg_depend deptype 'e'). */
export async function gatherExtensionMembers(db: ClientBase, oids: number[]): Promise<ExtensionMember[]> {
  const { rows } = await db.query<{ kind: 'table' | 'schema'; name: string; extension: string }>(
    `SELECT 'table' AS kind, n.nspname || '.' || c.relname AS name, e.extname AS extension
       FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
       JOIN pg_class c ON c.oid = d.objid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
        AND d.objid = ANY ($1::oid[])
     UNION ALL
     SELECT 'schema', n.nspname, e.extname
       FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid JOIN pg_namespace n ON n.oid = d.objid
      WHERE d.classid = 'pg_namespace'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
        AND d.objid IN (SELECT relnamespace FROM pg_class WHERE oid = ANY ($1::oid[]))
     ORDER BY 1, 2`,
    [oids],
  );
  return rows;
}

/** Selected tables registered as TimescaleDB hypertables (none when the extension's catalog is absent). */
export async function gatherHypertables(db: ClientBase, tables: TableRef[]): Promise<TableRef[]> {
  const present = await db.query(`SELECT to_regclass('_timescaledb_catalog.hypertable') IS NOT NULL AS ok`);
  if (!present.rows[0].ok) return [];
  const { rows } = await db.query<TableRef>(
    `SELECT h.schema_name::text AS schema, h.table_name::text AS name FROM _timescaledb_catalog.hypertable h
      WHERE (h.schema_name::text, h.table_name::text) IN (SELECT * FROM unnest($1::text[], $2::text[]))
      ORDER BY 1, 2`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return rows;
}
