// Source -> destination names: explicit renames win, otherwise the task's nameCase policy applies.
// Pure, shared by precheck, schema, full and incremental so every phase writes to the same names.
import type { TaskSpec } from '../spec/schema';

export type NameCase = TaskSpec['nameCase'];

export interface TableRef {
  schema: string;
  name: string;
}

export interface SelectedTable {
  source: TableRef;
  target: TableRef;
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

export function targetSchemaName(spec: TaskSpec, sourceSchema: string): string {
  const entry = spec.objects.find((o) => o.schema === sourceSchema);
  return entry?.rename ?? applyCase(spec.nameCase, sourceSchema, 'relation');
}

export function targetTableName(spec: TaskSpec, source: TableRef): TableRef {
  const entry = spec.objects.find((o) => o.schema === source.schema);
  const listed = entry?.tables?.find((t) => (typeof t === 'string' ? t : t.name) === source.name);
  const rename = listed && typeof listed !== 'string' ? listed.rename : undefined;
  return {
    schema: targetSchemaName(spec, source.schema),
    name: rename ?? applyCase(spec.nameCase, source.name, 'relation'),
  };
}

export function targetColumnName(spec: TaskSpec, column: string): string {
  return applyCase(spec.nameCase, column, 'column');
}

export const tableKey = (t: TableRef): string => `${t.schema}.${t.name}`;
