// COMMENT ON TABLE / COLUMN / CONSTRAINT / INDEX / SEQUENCE / TYPE of the task's objects, names mapped.
// A comment on an excluded column is not replicated; one on a constraint or index the destination left
// out (excluded column, foreign key to a table not synced) runs only if the object is there (guard.ts).
import type { CommentStmt, Node, TypeName } from 'libpg-query';
import { targetTableName } from '../catalog/names';
import { applyTree, existingTableProblem, skip } from './decision';
import { constraintExists, guarded, indexExists } from './guard';
import { refText, scopeOf, type NameMapper } from './mapping';
import { nodeBody, stringList, stringNode } from './parser';
import { resolveSchemaObject, schemaObjectProblem, schemaObjectTarget } from './schema-objects';
import type { DdlContext, DdlDecision } from './types';

const list = (names: string[]): Node => ({ List: { items: names.map(stringNode) } }) as Node;

export function translateComment(stmt: CommentStmt, ctx: DdlContext, names: NameMapper): DdlDecision | null {
  const objtype = String(stmt.objtype);
  const apply = (): DdlDecision => applyTree(ctx, names, { CommentStmt: stmt } as Node, []);
  if (objtype === 'OBJECT_TYPE') {
    const parts = stringList(nodeBody<TypeName>(stmt.object).names);
    const source = resolveSchemaObject(ctx, 'type', parts);
    const problem = schemaObjectProblem(ctx, 'type', source, parts.join('.'));
    if (problem) return skip(problem.reason, problem.detail);
    const t = schemaObjectTarget(names, source!);
    stmt.object = { TypeName: { ...nodeBody<TypeName>(stmt.object), names: [t.schema, t.name].map(stringNode) } } as Node;
    return apply();
  }
  if (!['OBJECT_TABLE', 'OBJECT_COLUMN', 'OBJECT_TABCONSTRAINT', 'OBJECT_INDEX', 'OBJECT_SEQUENCE'].includes(objtype)) return null;
  const parts = stringList(nodeBody<{ items?: Node[] }>(stmt.object).items);
  if (objtype === 'OBJECT_SEQUENCE') {
    const source = resolveSchemaObject(ctx, 'sequence', parts);
    const problem = schemaObjectProblem(ctx, 'sequence', source, parts.join('.'));
    if (problem) return skip(problem.reason, problem.detail);
    const t = schemaObjectTarget(names, source!);
    stmt.object = list([t.schema, t.name]);
    return apply();
  }
  if (objtype === 'OBJECT_INDEX') {
    const name = parts[parts.length - 1]!;
    const index = ctx.resolveObject?.('index', parts.length > 1 ? { schema: parts[0]!, name } : { name });
    if (!index?.table) return skip('unsupported', `COMMENT ON INDEX ${parts.join('.')}: the capture does not say which table the index is on`);
    const problem = existingTableProblem(ctx, index.table, refText(index.table));
    if (problem) return skip(problem.reason, `index ${parts.join('.')}: ${problem.detail}`);
    const schema = targetTableName(ctx.mapping, index.table).schema;
    stmt.object = list([schema, name]);
    return guarded(apply(), indexExists(schema, name));
  }
  // TABLE: [schema.]table; COLUMN: [schema.]table.column; CONSTRAINT: [schema.]table.constraint.
  const tableParts = objtype === 'OBJECT_TABLE' ? parts : parts.slice(0, -1);
  const last = parts[parts.length - 1]!;
  const written = tableParts.join('.');
  const table = ctx.resolveTable(tableParts.length > 1 ? { schema: tableParts[0]!, name: tableParts[1]! } : { name: tableParts[0]! });
  const problem = existingTableProblem(ctx, table, written);
  if (problem) return skip(problem.reason, problem.detail);
  const scope = scopeOf(ctx.mapping, table!);
  const target = [scope.target.schema, scope.target.name];
  if (objtype === 'OBJECT_TABLE') {
    stmt.object = list(target);
    return apply();
  }
  if (objtype === 'OBJECT_COLUMN') {
    const column = scope.column(last);
    if (column === null) return skip('excluded-column', `COMMENT ON COLUMN ${last} of ${refText(table!)}: the column is in excludeColumns, not on the destination`);
    stmt.object = list([...target, column]);
    return apply();
  }
  stmt.object = list([...target, last]);
  return guarded(apply(), constraintExists(scope.target, last));
}
