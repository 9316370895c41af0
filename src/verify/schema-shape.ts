// One table's comparable shape (columns, constraints, indexes) from its catalog rows, pure. On the source
// side every definition is mapped exactly as schema sync maps it when it creates the table
// (src/schema/ddl.ts): column renames through the real parser (src/schema/column-map.ts), qualified names
// of tables, sequences and types through one name replacer, and what schema sync leaves out (excluded
// columns, what uses them, foreign keys to tables not synced) left out here too. On the destination side
// the server's text is taken as it is, so the two compare as texts.
//
// Column references in a mapped table's definitions: schema sync writes a renamed column quoted
// ("total"), the destination's server prints it bare (total). So both sides put every column reference of
// such a table through the same rewrite — its destination name with MARK appended, quoted — and compare
// those texts; MARK is taken out of the texts a report shows.
import type { ColumnLookup, Mapped } from '../schema/column-map';
import { mapConstraintDef, mapExpression, mapIndexDef } from '../schema/column-map';
import type { TableRef } from '../catalog/names';
import type { RawColumn, RawConstraint, RawTable } from './schema-catalog';
import type { TableShape } from './schema-types';

/** Appended to column names in parsed definitions on both sides (see above); never shown. */
export const MARK = '\u2063';

/** How one side's definitions of one table are read. */
export interface ShapeMapping {
  /** A column's destination name, null when excluded (destination side: the name itself). */
  column: (name: string) => string | null;
  /** Parse definitions (the table's columns are renamed or excluded): column references through `lookup`. */
  parse: boolean;
  /** Column references in parsed definitions: MARKed destination name, null excluded, undefined not a column. */
  lookup: ColumnLookup;
  /**
   * A foreign key's referenced table: its lookup and whether it maps; 'skip' when the constraint is not
   * expected at all (source side: schema sync does not create foreign keys to tables it does not sync).
   */
  referenced: (table: TableRef) => { lookup: ColumnLookup; parse: boolean } | 'skip';
  /** Qualified names (tables, sequences, types) to the destination's, as its server prints them. */
  rename: (sql: string) => string;
}

/** The lookup that MARKs `names` (a table's column names on one side) as `to` maps them. */
export function markedLookup(names: Iterable<string>, to: (name: string) => string | null): ColumnLookup {
  const known = new Set(names);
  return (c) => {
    if (!known.has(c)) return undefined;
    const target = to(c);
    return target === null ? null : target + MARK;
  };
}

/** A definition under destination names; null when it uses an excluded column (schema sync skips it). */
function mapped(sql: string, parse: boolean, rename: (s: string) => string, map: () => Mapped): string | null {
  if (!parse) return rename(sql);
  let m: Mapped;
  try {
    m = map();
  } catch {
    return rename(sql); // a definition the mapper cannot follow is compared as the server printed it
  }
  return m.excluded.length ? null : rename(m.sql);
}

export interface ColumnText {
  typeSql: string;
  collationSql: string | null;
  generatedSql: string | null;
  identity: '' | 'a' | 'd';
  defaultSql: string | null;
  notNull: boolean;
}

/** A column as one line of DDL: `<type> [COLLATE …] [GENERATED …] [DEFAULT …] [NOT NULL]`. */
export function columnText(c: ColumnText): string {
  const parts = [c.typeSql];
  if (c.collationSql) parts.push(c.collationSql);
  if (c.generatedSql !== null) parts.push(`GENERATED ALWAYS AS (${c.generatedSql}) STORED`);
  if (c.identity) parts.push(`GENERATED ${c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`);
  if (c.defaultSql !== null && !c.identity) parts.push(`DEFAULT ${c.defaultSql}`);
  if (c.notNull) parts.push('NOT NULL');
  return parts.join(' ');
}

/** pg_get_indexdef without the index's name (the name is the key), and whether it is usable. */
export function indexText(definition: string, valid: boolean): string {
  const unnamed = definition.replace(/^(CREATE (?:UNIQUE )?INDEX )("(?:[^"]|"")*"|\S+) ON /, '$1ON ');
  return valid ? unnamed : `${unnamed} (INVALID)`;
}

function column(c: RawColumn, m: ShapeMapping): [string, string] | null {
  const name = m.column(c.name);
  if (name === null) return null;
  let generatedSql: string | null = null;
  if (c.generatedSql !== null) {
    generatedSql = mapped(c.generatedSql, m.parse, m.rename, () => mapExpression(c.generatedSql!, m.lookup));
    if (generatedSql === null) return null; // schema sync does not create a generated column over an excluded one
  }
  const defaultSql = c.defaultSql === null ? null : m.rename(c.defaultSql);
  return [name, columnText({ typeSql: m.rename(c.typeSql), collationSql: c.collationSql, generatedSql, identity: c.identity, defaultSql, notNull: c.notNull })];
}

function constraint(c: RawConstraint, m: ShapeMapping): string | null {
  const ref = c.type === 'f' && c.refTable ? m.referenced(c.refTable) : undefined;
  if (ref === 'skip') return null;
  const parse = m.parse || (ref?.parse ?? false);
  return mapped(c.definition, parse, m.rename, () => mapConstraintDef(c.definition, m.lookup, ref?.lookup ?? m.lookup));
}

/** The table's shape under destination names (what schema sync leaves out is not in it). */
export function tableShape(t: RawTable, m: ShapeMapping): TableShape {
  const shape: TableShape = { columns: new Map(), constraints: new Map(), indexes: new Map() };
  for (const c of t.columns) {
    const col = column(c, m);
    if (col) shape.columns.set(...col);
  }
  for (const c of t.constraints) {
    const def = constraint(c, m);
    if (def !== null) shape.constraints.set(c.name, def);
  }
  for (const i of t.indexes.filter((x) => !x.constraint)) {
    const def = mapped(i.definition, m.parse, m.rename, () => mapIndexDef(i.definition, m.lookup));
    if (def !== null) shape.indexes.set(i.name, indexText(def, i.valid));
  }
  return shape;
}
