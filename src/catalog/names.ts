// Source -> destination names, and what else the spec says about one table (row filter, operations,
// excluded columns). Pure, shared by precheck, schema, full and incremental so every phase writes to
// the same names. Order for a name: an explicit rename wins; otherwise nameCase, then the bulk rule.
import type { DmlOperation, ObjectEntry, RenameRule, TableObject, TaskSpec } from '../spec/schema';
import { dmlOperations } from '../spec/schema';

export type NameCase = TaskSpec['nameCase'];

/** The part of a spec that decides names and per-table rules (also what `modifyObjects` replaces). */
export type Mapping = Pick<TaskSpec, 'objects' | 'nameCase' | 'renameRules'>;

export interface TableRef {
  schema: string;
  name: string;
}

export interface SelectedTable {
  source: TableRef;
  target: TableRef;
  /**
   * Set for a table added while the task ran (`modifyObjects`): the consistent point of its own copy.
   * The main stream applies its changes only from transactions committed at or after it.
   */
  joinedAt?: string;
}

function applyCase(policy: NameCase, name: string, kind: 'relation' | 'column'): string {
  switch (policy) {
    case 'source':
      return name;
    case 'lower':
      return name.toLowerCase();
    case 'upper':
      return name.toUpperCase();
    case 'default':
      // DTS semantics: schema and table names lower-case, column names exactly as in the source.
      return kind === 'relation' ? name.toLowerCase() : name;
  }
}

function applyRule(rule: RenameRule | undefined, name: string): string {
  if (!rule) return name;
  let out = name;
  for (const r of rule.replace ?? []) out = out.split(r.from).join(r.to);
  return `${rule.prefix ?? ''}${out}${rule.suffix ?? ''}`;
}

export function objectEntryFor(spec: Mapping, sourceSchema: string): ObjectEntry | undefined {
  return spec.objects.find((o) => o.schema === sourceSchema);
}

/** The table's own entry when it is listed with options (a bare name has none). */
export function tableEntryFor(spec: Mapping, source: TableRef): TableObject | undefined {
  const listed = objectEntryFor(spec, source.schema)?.tables?.find((t) => (typeof t === 'string' ? t : t.name) === source.name);
  return listed && typeof listed !== 'string' ? listed : undefined;
}

export function targetSchemaName(spec: Mapping, sourceSchema: string): string {
  const entry = objectEntryFor(spec, sourceSchema);
  return entry?.rename ?? applyRule(spec.renameRules?.schemas, applyCase(spec.nameCase, sourceSchema, 'relation'));
}

export function targetTableName(spec: Mapping, source: TableRef): TableRef {
  const rename = tableEntryFor(spec, source)?.rename;
  return {
    schema: targetSchemaName(spec, source.schema),
    name: rename ?? applyRule(spec.renameRules?.tables, applyCase(spec.nameCase, source.name, 'relation')),
  };
}

/** Maps a source column to its destination name, or null when the column is excluded. */
export type ColumnMapper = (sourceColumn: string) => string | null;

export function columnMapper(spec: Mapping, source: TableRef): ColumnMapper {
  const entry = tableEntryFor(spec, source);
  const excluded = new Set(entry?.excludeColumns ?? []);
  const renames = entry?.columns ?? {};
  return (column) => {
    if (excluded.has(column)) return null;
    return renames[column] ?? applyRule(spec.renameRules?.columns, applyCase(spec.nameCase, column, 'column'));
  };
}

/** True when the mapper changes nothing (the common case: no per-column work needed anywhere). */
export function isIdentityMapping(spec: Mapping, source: TableRef): boolean {
  const entry = tableEntryFor(spec, source);
  return (
    !entry?.excludeColumns?.length &&
    !Object.keys(entry?.columns ?? {}).length &&
    !spec.renameRules?.columns &&
    (spec.nameCase === 'source' || spec.nameCase === 'default')
  );
}

export interface TableOperations {
  dml: ReadonlySet<DmlOperation>;
  ddl: boolean;
}

/** The table's dml/ddl choice, else its schema's, else everything. */
export function tableOperations(spec: Mapping, source: TableRef): TableOperations {
  const table = tableEntryFor(spec, source);
  const schema = objectEntryFor(spec, source.schema);
  return {
    dml: new Set(table?.dml ?? schema?.dml ?? dmlOperations),
    ddl: table?.ddl ?? schema?.ddl ?? true,
  };
}

/** The table's row filter (source column names), if any. */
export function rowFilterOf(spec: Mapping, source: TableRef): string | undefined {
  return tableEntryFor(spec, source)?.where;
}

export const tableKey = (t: TableRef): string => `${t.schema}.${t.name}`;
