// Source -> destination names inside a DDL parse tree: tables, columns (in lists and in expressions),
// user types, functions and sequences of selected schemas. All mapping decisions come from
// src/catalog/names.ts, so DDL lands on the same names the schema, full and incremental phases use.
import type { ColumnRef, FuncCall, Node, RangeVar, TypeCast, TypeName } from 'libpg-query';
import { columnMapper, objectEntryFor, targetSchemaName, targetTableName, type ColumnMapper, type Mapping, type TableRef } from '../catalog/names';
import { nodeBody, nodeType, stringList, stringNode } from './parser';

/** One table of a statement: its source and destination names and its column mapping. */
export interface TableScope {
  source: TableRef;
  target: TableRef;
  column: ColumnMapper;
}

export function scopeOf(mapping: Mapping, source: TableRef): TableScope {
  return { source, target: targetTableName(mapping, source), column: columnMapper(mapping, source) };
}

export const refText = (t: TableRef): string => `${t.schema}.${t.name}`;

/** A RangeVar naming the destination table, always schema-qualified (the destination's search_path is not the source's). */
export function targetRangeVar(rv: RangeVar, target: TableRef): RangeVar {
  const out: RangeVar = { ...rv, schemaname: target.schema, relname: target.name };
  delete out.catalogname; // a database name of the source means nothing on the destination
  return out;
}

/** `app.seq`, `"App"."Seq"` or `seq` as regclass input reads it; null when it is not a plain name. */
export function splitQualifiedName(text: string): string[] | null {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let j = i + 1;
      let name = '';
      for (;;) {
        if (j >= text.length) return null;
        if (text[j] === '"') {
          if (text[j + 1] !== '"') break;
          name += '"';
          j += 2;
        } else name += text[j++];
      }
      parts.push(name);
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && text[j] !== '.') j++;
      const raw = text.slice(i, j);
      if (!raw || /[\s"]/.test(raw)) return null;
      parts.push(raw.toLowerCase());
      i = j;
    }
    if (i < text.length) {
      if (text[i] !== '.' || i === text.length - 1) return null;
      i++;
    }
  }
  return parts.length ? parts : null;
}

const quoteForRegclass = (name: string): string => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);

const SEQUENCE_FUNCTIONS = new Set(['nextval', 'currval', 'setval']);

export class NameMapper {
  constructor(private readonly mapping: Mapping) {}

  /** A schema the task selects (whole or some tables): its types, sequences and functions follow its rename. */
  selectsSchema(schema: string): boolean {
    return schema !== 'pg_catalog' && objectEntryFor(this.mapping, schema) !== undefined;
  }

  /**
   * A schema-qualified object of a selected schema (type, sequence) is named on the destination the way
   * the schema phase created it (src/schema/ddl.ts maps types and sequences like tables).
   */
  objectName(parts: string[]): string[] {
    if (parts.length !== 2 || !this.selectsSchema(parts[0]!)) return parts;
    const t = targetTableName(this.mapping, { schema: parts[0]!, name: parts[1]! });
    return [t.schema, t.name];
  }

  typeName(tn: TypeName | undefined): void {
    if (!tn?.names) return;
    const names = stringList(tn.names);
    const mapped = this.objectName(names);
    if (mapped !== names) tn.names = mapped.map(stringNode);
  }

  /** A relation name inside a string literal ('app.seq'::regclass, nextval('app.seq')). */
  private relationLiteral(node: Node | undefined): void {
    let target = node;
    if (nodeType(target) === 'TypeCast') target = nodeBody<TypeCast>(target).arg;
    if (nodeType(target) !== 'A_Const') return;
    const sval = nodeBody<{ sval?: { sval?: string } }>(target).sval;
    if (sval?.sval === undefined) return;
    const parts = splitQualifiedName(sval.sval);
    if (!parts) return;
    const mapped = this.objectName(parts);
    if (mapped !== parts) sval.sval = mapped.map(quoteForRegclass).join('.');
  }

  private funcCall(call: FuncCall): void {
    const names = stringList(call.funcname);
    // Functions are not created by pg-dts, but one the user made in the destination schema is found there.
    if (names.length === 2 && this.selectsSchema(names[0]!)) call.funcname = [stringNode(targetSchemaName(this.mapping, names[0]!)), call.funcname![1]!];
    // nextval('app.seq'): a bare literal; a '...'::regclass argument is a TypeCast, mapped where casts are.
    const first = call.args?.[0];
    if (SEQUENCE_FUNCTIONS.has(names[names.length - 1]!) && (names.length === 1 || names[0] === 'pg_catalog') && nodeType(first) === 'A_Const') this.relationLiteral(first);
  }

  private columnRef(ref: ColumnRef, scope: TableScope, excluded: Set<string>): void {
    const fields = ref.fields ?? [];
    if (!fields.length || fields.some((f) => nodeType(f) !== 'String')) return; // t.* and the like
    const names = stringList(fields);
    const column = names[names.length - 1]!;
    const qualifier = names.slice(0, -1);
    // `col`, `tbl.col` or `schema.tbl.col` of the scope's table; anything else is left as written.
    if (qualifier.length === 2 && (qualifier[0] !== scope.source.schema || qualifier[1] !== scope.source.name)) return;
    if (qualifier.length === 1 && qualifier[0] !== scope.source.name) return;
    if (qualifier.length > 2) return;
    const mapped = scope.column(column);
    if (mapped === null) {
      excluded.add(column);
      return;
    }
    const out = qualifier.length === 2 ? [scope.target.schema, scope.target.name, mapped] : qualifier.length === 1 ? [scope.target.name, mapped] : [mapped];
    ref.fields = out.map(stringNode);
  }

  /**
   * Maps, in place, the names in an expression of the scope's table (CHECK, DEFAULT, generated column,
   * USING, index expression or predicate). Returns the excluded source columns it uses.
   */
  expression(node: unknown, scope: TableScope): string[] {
    const excluded = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(walk);
      if (!value || typeof value !== 'object') return;
      const entries = Object.entries(value as Record<string, unknown>);
      for (const [key, body] of entries) {
        if (key === 'ColumnRef') this.columnRef(body as ColumnRef, scope, excluded);
        else if (key === 'TypeName') this.typeName(body as TypeName);
        else if (key === 'typeName') this.typeName(body as TypeName); // TypeCast.typeName is a bare TypeName
        else if (key === 'TypeCast' && this.isRegclass(body as TypeCast)) this.relationLiteral({ TypeCast: body } as Node);
        else if (key === 'FuncCall') this.funcCall(body as FuncCall);
        walk(body);
      }
    };
    walk(node);
    return [...excluded];
  }

  private isRegclass(cast: TypeCast): boolean {
    const names = stringList(cast.typeName?.names);
    return names[names.length - 1] === 'regclass' && (names.length === 1 || names[0] === 'pg_catalog');
  }

  /** Maps a list of column names (String nodes) of the scope's table; returns the excluded ones. */
  columnList(list: Node[] | undefined, scope: TableScope): string[] {
    const excluded: string[] = [];
    for (const n of list ?? []) {
      const s = (n as { String?: { sval?: string } }).String;
      if (!s?.sval) continue;
      const mapped = scope.column(s.sval);
      if (mapped === null) excluded.push(s.sval);
      else s.sval = mapped;
    }
    return excluded;
  }

  /** The destination search path: each selected schema renamed, others as they are, no temporary schema. */
  searchPath(sourcePath: string[]): string[] {
    return sourcePath.filter((s) => !s.startsWith('pg_temp')).map((s) => (this.selectsSchema(s) ? targetSchemaName(this.mapping, s) : s));
  }
}
