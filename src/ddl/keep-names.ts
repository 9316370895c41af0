// Constraints and indexes a replayed statement creates keep their source names on the destination.
//
// PostgreSQL names an unnamed constraint or index after its table and columns (`ADD CHECK (note <> '')`
// -> customer_note_check, `CREATE INDEX ON customer (note)` -> customer_note_idx, a new partition's
// inherited keys -> p_2027_pkey). Replayed on a table the destination calls differently (a renamed table or
// column, nameCase), the same statement yields other names, and a later `DROP CONSTRAINT customer_note_check`
// from the source finds nothing there: the destination keeps what the source dropped.
//
// So the recorder captures the names of the table's constraints and indexes right after the statement
// (capture.ts, `names`), and after the statement the destination runs a block that renames, for each source
// name the destination table lacks, a constraint or index of the same kind on the same (mapped) columns whose
// name the source table does not have — the one the replay just generated — oldest to oldest. Renaming
// after the replay (rather than writing the names into the statement) covers what a statement creates
// without spelling it: column constraints, a partition's inherited keys and indexes. Rows captured before
// the names were recorded carry none: nothing is renamed (the behaviour before).
import type { Mapping, TableRef } from '../catalog/names';
import { literal, qualified } from '../util/sql';
import type { CapturedDdl, SourceNames } from './capture';
import { scopeOf } from './mapping';

/** Statements that create constraints or indexes under generated names. */
const CREATING_TAGS = new Set(['CREATE TABLE', 'ALTER TABLE', 'CREATE INDEX']);

interface Wanted {
  kind: 'constraint' | 'index';
  name: string;
  type?: string;
  /** Destination column names. */
  columns: string[];
}

/** A table the statement touched, with its names on the source right after it. */
export interface TableNames {
  table: TableRef;
  names: SourceNames;
}

/** The capture's tables with names (none in rows captured before they were recorded, or for other statements). */
export function capturedNames(captured: CapturedDdl, tableOf: (schema: string, identity: string) => TableRef | null): TableNames[] {
  if (!CREATING_TAGS.has(captured.tag)) return [];
  const tables = new Map<string, TableNames>();
  for (const o of captured.objects ?? []) {
    if (!o.names || !o.schema) continue;
    const table = o.type === 'table' ? tableOf(o.schema, o.identity) : o.table;
    if (table) tables.set(qualified(table), { table, names: o.names });
  }
  return [...tables.values()];
}

/** The rename blocks to run after the statement's own, one per destination table with something to match. */
export function keepSourceNames(tables: TableNames[], mapping: Mapping): string[] {
  return tables.flatMap(({ table, names }) => {
    const scope = scopeOf(mapping, table);
    const mapped = (columns: string[]): string[] | null => {
      const out = columns.map((c) => (c === '' ? '' : scope.column(c)));
      return out.includes(null) ? null : (out as string[]);
    };
    const wanted: Wanted[] = [];
    for (const c of names.constraints) {
      const columns = mapped(c.columns);
      if (columns) wanted.push({ kind: 'constraint', name: c.name, type: c.type, columns });
    }
    for (const i of names.indexes) {
      const columns = mapped(i.columns);
      if (columns) wanted.push({ kind: 'index', name: i.name, columns });
    }
    const all = [...names.constraints, ...names.indexes].map((n) => n.name);
    return wanted.length ? [renameBlock(scope.target, wanted, all)] : [];
  });
}

/**
 * One DO block for a destination table. A rename that collides with another relation of the schema (an
 * index name is a relation name) is left out with a WARNING instead of failing the stream.
 */
function renameBlock(target: TableRef, wanted: Wanted[], sourceNames: string[]): string {
  const columnsOf = (rel: string, keys: string) =>
    `(SELECT coalesce(array_agg(coalesce(a.attname::text, '') ORDER BY k.ord), '{}') FROM unnest(${keys}) WITH ORDINALITY k(attnum, ord)
       LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.attnum AND k.attnum > 0)`;
  const body = `
DECLARE
  t regclass := pg_catalog.to_regclass(${literal(qualified(target))});
  source_names text[] := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(${literal(JSON.stringify(sourceNames))}::jsonb));
  w record;
  generated text;
BEGIN
  IF t IS NULL THEN RETURN; END IF;
  FOR w IN SELECT x.kind, x.name, x.type, ARRAY(SELECT jsonb_array_elements_text(x.columns)) AS columns
             FROM jsonb_to_recordset(${literal(JSON.stringify(wanted))}::jsonb) AS x(kind text, name text, type text, columns jsonb) LOOP
    generated := NULL;
    IF w.kind = 'constraint' THEN
      CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = t AND conname = w.name);
      SELECT con.conname INTO generated FROM pg_catalog.pg_constraint con
       WHERE con.conrelid = t AND con.contype::text = w.type AND con.conname <> ALL (source_names)
         AND ${columnsOf('con.conrelid', 'con.conkey')} = w.columns
       ORDER BY con.oid LIMIT 1;
      CONTINUE WHEN generated IS NULL;
      BEGIN
        EXECUTE pg_catalog.format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', t, generated, w.name);
      EXCEPTION WHEN duplicate_object OR duplicate_table THEN
        RAISE WARNING 'pg-dts: constraint % of % keeps its name: the source calls it %, which is taken on the destination', generated, t, w.name;
      END;
    ELSE
      CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = t AND ic.relname = w.name);
      SELECT ic.relname INTO generated FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
       WHERE i.indrelid = t AND ic.relname <> ALL (source_names)
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c2 WHERE c2.conindid = i.indexrelid AND c2.conrelid = i.indrelid AND c2.contype IN ('p', 'u', 'x'))
         AND ${columnsOf('i.indrelid', 'i.indkey::int2[]')} = w.columns
       ORDER BY ic.oid LIMIT 1;
      CONTINUE WHEN generated IS NULL;
      BEGIN
        EXECUTE pg_catalog.format('ALTER INDEX %I.%I RENAME TO %I', ${literal(target.schema)}, generated, w.name);
      EXCEPTION WHEN duplicate_object OR duplicate_table THEN
        RAISE WARNING 'pg-dts: index % of % keeps its name: the source calls it %, which is taken on the destination', generated, t, w.name;
      END;
    END IF;
  END LOOP;
END`;
  let tag = 'pgdts';
  for (let i = 0; body.includes(`$${tag}$`); i++) tag = `pgdts${i}`;
  return `DO $${tag}$${body} $${tag}$`;
}
