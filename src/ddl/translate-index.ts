// CREATE INDEX on a selected table: columns, expressions, INCLUDE and the predicate mapped; the index
// name kept. CONCURRENTLY is removed: the applier runs DDL inside its transaction, where it is not allowed.
import type { IndexElem, IndexStmt, Node } from 'libpg-query';
import { applyTree, existingTableProblem, skip } from './decision';
import { refText, scopeOf, targetRangeVar, type NameMapper } from './mapping';
import { nodeBody, nodeType } from './parser';
import type { DdlContext, DdlDecision } from './types';

export function translateCreateIndex(stmt: IndexStmt, ctx: DdlContext, names: NameMapper): DdlDecision {
  const rv = stmt.relation!;
  const table = ctx.resolveTable(rv.schemaname ? { schema: rv.schemaname, name: rv.relname! } : { name: rv.relname! });
  const problem = existingTableProblem(ctx, table, rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname!);
  if (problem) return skip(problem.reason, problem.detail);
  const scope = scopeOf(ctx.mapping, table!);
  const excluded: string[] = [];
  for (const p of [...(stmt.indexParams ?? []), ...(stmt.indexIncludingParams ?? [])]) {
    if (nodeType(p) !== 'IndexElem') continue;
    const elem = nodeBody<IndexElem>(p);
    if (elem.name) {
      const mapped = scope.column(elem.name);
      if (mapped === null) excluded.push(elem.name);
      else elem.name = mapped;
    }
    if (elem.expr) excluded.push(...names.expression(elem.expr, scope));
  }
  excluded.push(...names.expression(stmt.whereClause, scope));
  const label = `index ${stmt.idxname ?? '(unnamed)'} on ${refText(table!)}`;
  if (excluded.length) return skip('excluded-column', `${label} uses excluded column(s) ${[...new Set(excluded)].join(', ')}: not created on the destination`);
  stmt.relation = targetRangeVar(rv, scope.target);
  delete stmt.concurrent;
  delete stmt.tableSpace; // tablespaces are the destination's own business (as in the schema phase)
  return applyTree(ctx, names, { IndexStmt: stmt } as Node, [{ type: 'alter-table', table: table! }]);
}
