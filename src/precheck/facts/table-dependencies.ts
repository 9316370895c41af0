// What the selected tables' definitions need on the destination before schema sync can create them:
// objects their columns, defaults, CHECKs, generated columns, indexes and constraints refer to (types,
// functions, operators, operator classes, collations), found through pg_depend. Objects that belong to an
// extension are needed as that extension (CREATE EXTENSION makes them); other user objects are needed by
// name, because schema sync creates only schemas, enums, domains, composites, sequences and tables.
// Reads only, one query per side for the whole selection.
import type { ClientBase } from 'pg';

export type DependencyKind = 'type' | 'function' | 'operator' | 'operator class' | 'collation';

/** One object a selected table needs, and which tables need it. */
export interface TableDependency {
  kind: DependencyKind;
  /** How the destination finds it: a qualified type name, regprocedure, regoperator, "schema.name" or "schema.name (access method)". */
  name: string;
  /** The extension the object belongs to on the source; null for a user object. */
  extension: string | null;
  /** The schema the extension lives in on the source (definitions name its objects there). */
  extensionSchema: string | null;
  /** "schema.table" of the selected tables needing it (a partition counts for its own name). */
  tables: string[];
}

/** The destination's answer for the needs above. */
export interface DependencyPresence {
  /** Needed extensions already installed. */
  installed: string[];
  /** Needed extensions not installed but available (pg_available_extensions), with what CREATE EXTENSION needs to know. */
  available: AvailableExtension[];
  /** `kind:name` keys of the needed objects that exist: user objects, and those of installed extensions. */
  presentObjects: string[];
}

export interface AvailableExtension {
  name: string;
  /** Non-superusers with CREATE on the database may create it (PostgreSQL 13+). */
  trusted: boolean;
  relocatable: boolean;
  /** The control file's fixed schema, if any. */
  schema: string | null;
}

export const dependencyKey = (d: Pick<TableDependency, 'kind' | 'name'>): string => `${d.kind}:${d.name}`;

// Objects of the selection (tables, their partitions, indexes, constraints, defaults and the domains their
// columns use) and what pg_depend says they refer to. Array types are followed to their element type (an
// extension owns hstore; hstore[] comes with it). Built-in objects (pg_catalog, information_schema) are the
// destination's own, except collations: the ones initdb imports from the operating system's locales differ
// between hosts.
const DEPENDENCIES_SQL = `
WITH RECURSIVE rels(oid, top) AS (
  SELECT o, o FROM unnest($1::oid[]) AS o
  UNION SELECT i.inhrelid, r.top FROM pg_inherits i JOIN rels r ON i.inhparent = r.oid
),
domains AS (
  SELECT DISTINCT t.oid, r.oid AS rel FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_type t ON t.oid = coalesce((SELECT e.oid FROM pg_type e WHERE e.typarray = a.atttypid), a.atttypid)
   WHERE t.typtype = 'd'
),
objs(classid, objid, rel) AS (
  SELECT 'pg_class'::regclass, r.oid, r.oid FROM rels r
  UNION ALL SELECT 'pg_class'::regclass, x.indexrelid, x.indrelid FROM pg_index x JOIN rels r ON x.indrelid = r.oid
  UNION ALL SELECT 'pg_constraint'::regclass, c.oid, c.conrelid FROM pg_constraint c JOIN rels r ON c.conrelid = r.oid
  UNION ALL SELECT 'pg_attrdef'::regclass, d.oid, d.adrelid FROM pg_attrdef d JOIN rels r ON d.adrelid = r.oid
  UNION ALL SELECT 'pg_type'::regclass, m.oid, m.rel FROM domains m
  UNION ALL SELECT 'pg_constraint'::regclass, c.oid, m.rel FROM pg_constraint c JOIN domains m ON c.contypid = m.oid
),
refs AS (
  SELECT DISTINCT o.rel, d.refclassid,
         CASE WHEN d.refclassid = 'pg_type'::regclass
              THEN coalesce((SELECT e.oid FROM pg_type e WHERE e.typarray = d.refobjid), d.refobjid) ELSE d.refobjid END AS refobjid
    FROM objs o JOIN pg_depend d ON d.classid = o.classid AND d.objid = o.objid
   WHERE d.deptype IN ('n', 'a')
     AND d.refclassid IN ('pg_type'::regclass, 'pg_proc'::regclass, 'pg_operator'::regclass, 'pg_opclass'::regclass, 'pg_collation'::regclass)
),
described AS (
  SELECT r.rel, r.refclassid, r.refobjid,
         CASE r.refclassid WHEN 'pg_type'::regclass THEN 'type' WHEN 'pg_proc'::regclass THEN 'function'
              WHEN 'pg_operator'::regclass THEN 'operator' WHEN 'pg_opclass'::regclass THEN 'operator class' ELSE 'collation' END AS kind,
         CASE r.refclassid
              WHEN 'pg_type'::regclass THEN (SELECT quote_ident(n.nspname) || '.' || quote_ident(t.typname) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = r.refobjid)
              WHEN 'pg_proc'::regclass THEN r.refobjid::regprocedure::text
              WHEN 'pg_operator'::regclass THEN r.refobjid::regoperator::text
              WHEN 'pg_opclass'::regclass THEN (SELECT quote_ident(n.nspname) || '.' || quote_ident(c.opcname) || ' (' || a.amname || ')'
                                                  FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace JOIN pg_am a ON a.oid = c.opcmethod WHERE c.oid = r.refobjid)
              ELSE (SELECT quote_ident(n.nspname) || '.' || quote_ident(c.collname) FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace WHERE c.oid = r.refobjid)
         END AS name,
         CASE r.refclassid
              WHEN 'pg_type'::regclass THEN (SELECT typnamespace FROM pg_type WHERE oid = r.refobjid)
              WHEN 'pg_proc'::regclass THEN (SELECT pronamespace FROM pg_proc WHERE oid = r.refobjid)
              WHEN 'pg_operator'::regclass THEN (SELECT oprnamespace FROM pg_operator WHERE oid = r.refobjid)
              WHEN 'pg_opclass'::regclass THEN (SELECT opcnamespace FROM pg_opclass WHERE oid = r.refobjid)
              ELSE (SELECT collnamespace FROM pg_collation WHERE oid = r.refobjid)
         END AS nsp,
         (SELECT typtype FROM pg_type WHERE oid = r.refobjid AND r.refclassid = 'pg_type'::regclass) AS typtype,
         (SELECT e.oid FROM pg_depend x JOIN pg_extension e ON e.oid = x.refobjid
           WHERE x.classid = r.refclassid AND x.objid = r.refobjid AND x.refclassid = 'pg_extension'::regclass AND x.deptype = 'e') AS ext
    FROM refs r
)
SELECT s.kind, s.name, e.extname AS extension, en.nspname AS extension_schema,
       array_agg(DISTINCT tn.nspname || '.' || tc.relname ORDER BY tn.nspname || '.' || tc.relname) AS tables
  FROM described s
  JOIN pg_class tc ON tc.oid = s.rel JOIN pg_namespace tn ON tn.oid = tc.relnamespace
  JOIN pg_namespace sn ON sn.oid = s.nsp
  LEFT JOIN pg_extension e ON e.oid = s.ext LEFT JOIN pg_namespace en ON en.oid = e.extnamespace
 WHERE s.name IS NOT NULL
   AND (s.ext IS NOT NULL
        OR s.kind = 'collation'
        OR (sn.nspname NOT IN ('pg_catalog', 'information_schema') AND sn.nspname NOT LIKE 'pg_toast%'
            -- enums, domains and composites are created by schema sync; a table's row type comes with its table
            AND coalesce(s.typtype NOT IN ('e', 'd', 'c'), true)))
 GROUP BY 1, 2, 3, 4
 ORDER BY 3 NULLS LAST, 1, 2`;

/** What the tables with these pg_class oids (partitions below them included) need on the destination. */
export async function gatherTableDependencies(db: ClientBase, oids: number[]): Promise<TableDependency[]> {
  if (!oids.length) return [];
  const { rows } = await db.query<{ kind: DependencyKind; name: string; extension: string | null; extension_schema: string | null; tables: string[] }>(
    DEPENDENCIES_SQL, [oids],
  );
  // The default collation is pinned and never recorded; collations every cluster has need no check either.
  return rows
    .filter((r) => !(r.kind === 'collation' && r.extension === null && BUILT_IN_COLLATIONS.has(r.name)))
    .map((r) => ({ kind: r.kind, name: r.name, extension: r.extension, extensionSchema: r.extension_schema, tables: r.tables }));
}

const BUILT_IN_COLLATIONS = new Set(['pg_catalog."default"', 'pg_catalog."C"', 'pg_catalog."POSIX"', 'pg_catalog.ucs_basic', 'pg_catalog.unicode']);

/** Looks the needs up on the destination: extensions installed or available, user objects by name. */
export async function gatherDependencyPresence(db: ClientBase, needs: TableDependency[]): Promise<DependencyPresence> {
  const extensions = [...new Set(needs.flatMap((n) => (n.extension ? [n.extension] : [])))];
  const objects = needs.filter((n) => !n.extension);
  const versionNum = Number((await db.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
  let installed: string[] = [];
  let available: AvailableExtension[] = [];
  if (extensions.length) {
    installed = (await db.query<{ name: string }>(`SELECT extname AS name FROM pg_extension WHERE extname = ANY($1)`, [extensions])).rows.map((r) => r.name);
    // trusted is a column from PostgreSQL 13 on; before, only superusers create extensions.
    const trusted = versionNum >= 130000 ? 'v.trusted' : 'false';
    available = (
      await db.query<AvailableExtension>(
        `SELECT a.name, ${trusted} AS trusted, v.relocatable, v.schema::text AS schema
           FROM pg_available_extensions a JOIN pg_available_extension_versions v ON v.name = a.name AND v.version = a.default_version
          WHERE a.name = ANY($1) AND a.installed_version IS NULL`,
        [extensions],
      )
    ).rows;
  }
  // An installed extension's objects are looked up by name too: installed in another schema than on the
  // source (e.g. \`extensions\`), the definitions' qualified names would not find them.
  const lookups = [...objects, ...needs.filter((n) => n.extension && installed.includes(n.extension))];
  const presentObjects: string[] = [];
  for (const o of lookups) {
    if (await objectExists(db, o)) presentObjects.push(dependencyKey(o));
  }
  return { installed, available, presentObjects };
}

const OPCLASS_NAME = /^(.*)\.("(?:[^"]|"")*"|[^.\s]+) \((\w+)\)$/;
const unquote = (s: string): string => (s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s);

/** Each lookup tolerates a name the destination cannot parse (a type it lacks in a signature): then it is missing. */
async function objectExists(db: ClientBase, o: TableDependency): Promise<boolean> {
  switch (o.kind) {
    case 'type':
      return (await db.query(`SELECT to_regtype($1) IS NOT NULL AS ok`, [o.name]).catch(() => ({ rows: [{ ok: false }] }))).rows[0].ok;
    case 'function':
      return (await db.query(`SELECT to_regprocedure($1) IS NOT NULL AS ok`, [o.name]).catch(() => ({ rows: [{ ok: false }] }))).rows[0].ok;
    case 'operator':
      return (await db.query(`SELECT to_regoperator($1) IS NOT NULL AS ok`, [o.name]).catch(() => ({ rows: [{ ok: false }] }))).rows[0].ok;
    case 'operator class': {
      const m = OPCLASS_NAME.exec(o.name);
      if (!m) return false;
      const r = await db.query(
        `SELECT 1 FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace JOIN pg_am a ON a.oid = c.opcmethod
          WHERE n.nspname = $1 AND c.opcname = $2 AND a.amname = $3`,
        [unquote(m[1]!), unquote(m[2]!), m[3]],
      );
      return (r.rowCount ?? 0) > 0;
    }
    case 'collation': {
      const dot = splitQualified(o.name);
      if (!dot) return false;
      const r = await db.query(
        `SELECT 1 FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
          WHERE n.nspname = $1 AND c.collname = $2 AND c.collencoding IN (-1, pg_char_to_encoding(current_setting('server_encoding')))`,
        dot,
      );
      return (r.rowCount ?? 0) > 0;
    }
  }
}

/** `schema.name` with either part quoted -> [schema, name]. */
export function splitQualified(name: string): [string, string] | null {
  const m = /^("(?:[^"]|"")*"|[^."]+)\.("(?:[^"]|"")*"|[^."]+)$/.exec(name);
  return m ? [unquote(m[1]!), unquote(m[2]!)] : null;
}
