// DDL of non-table objects: views, materialized views (incl. REFRESH), functions, procedures, aggregates,
// triggers, rules, policies, and DROP of each. Returns null for statements of other kinds.
//
// Like schema sync (docs/schema-sync.md), the statement's text is kept, never rewritten: an object is
// replicated only in a schema the task selects whole and does not rename, and only over tables synced
// under their own names with their own columns (a function body is an opaque string; a view's query or a
// trigger's table could be mapped, but one rule for every kind is one rule users can predict). What is
// safe per kind (docs/security.md):
//   - CREATE VIEW / FUNCTION / PROCEDURE / AGGREGATE / TRIGGER / RULE / POLICY store code without running
//     it: their expressions are not held to expression-safety.ts's built-ins, but SECURITY DEFINER routines
//     and untrusted languages are refused (unsafe-expression);
//   - CREATE MATERIALIZED VIEW … WITH DATA and REFRESH run the query as pg-dts's role: see translate-views.ts.
import type { DropStmt, Node } from 'libpg-query';
import { applyTree, skip, type BehaviorCheck, type Problem } from './decision';
import { objectSchemaProblem, ownTableProblem, schemaOf } from './object-scope';
import type { NameMapper } from './mapping';
import { nodeBody, nodeType, stringList } from './parser';
import { translateCreateFunction, translateDefineAggregate } from './translate-routines';
import { translateCreatePolicy, translateCreateRule, translateCreateTrigger } from './translate-table-objects';
import { translateCreateMatView, translateCreateView, translateRefresh } from './translate-views';
import type { DdlContext, DdlDecision } from './types';

export function translateObjectDdl(node: Node, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck, _sql: string): DdlDecision | null {
  const body = nodeBody<Record<string, unknown>>(node);
  switch (nodeType(node)) {
    case 'ViewStmt':
      return translateCreateView(node, ctx, names);
    case 'CreateTableAsStmt':
      return body.objtype === 'OBJECT_MATVIEW' ? translateCreateMatView(node, ctx, names) : null;
    case 'RefreshMatViewStmt':
      return translateRefresh(node, ctx, names);
    case 'CreateFunctionStmt':
      return translateCreateFunction(node, ctx, names);
    case 'DefineStmt':
      return body.kind === 'OBJECT_AGGREGATE' ? translateDefineAggregate(node, ctx, names) : null;
    case 'CreateTrigStmt':
      return translateCreateTrigger(node, ctx, names);
    case 'RuleStmt':
      return translateCreateRule(node, ctx, names);
    case 'CreatePolicyStmt':
      return translateCreatePolicy(node, ctx, names);
    case 'DropStmt':
      return translateDropObject(node, ctx, names, behavior);
  }
  return null;
}

const RELATION_DROPS: Record<string, string> = { OBJECT_VIEW: 'view', OBJECT_MATVIEW: 'materialized view' };
const ROUTINE_DROPS: Record<string, string> = { OBJECT_FUNCTION: 'function', OBJECT_PROCEDURE: 'procedure', OBJECT_AGGREGATE: 'aggregate', OBJECT_ROUTINE: 'routine' };
const TABLE_OBJECT_DROPS: Record<string, string> = { OBJECT_TRIGGER: 'trigger', OBJECT_RULE: 'rule', OBJECT_POLICY: 'policy' };

/** DROP VIEW / MATERIALIZED VIEW / FUNCTION / PROCEDURE / AGGREGATE / ROUTINE / TRIGGER / RULE / POLICY. */
function translateDropObject(node: Node, ctx: DdlContext, names: NameMapper, behavior: BehaviorCheck): DdlDecision | null {
  const stmt = nodeBody<DropStmt>(node);
  const type = stmt.removeType ?? '';
  const kind = RELATION_DROPS[type] ?? ROUTINE_DROPS[type] ?? TABLE_OBJECT_DROPS[type];
  if (!kind) return null;
  for (const object of stmt.objects ?? []) {
    let problem: Problem | null;
    if (TABLE_OBJECT_DROPS[type]) {
      const parts = stringList(nodeBody<{ items?: Node[] }>(object).items);
      const on = ownTableProblem(ctx, parts.length > 2 ? { schema: parts[0]!, name: parts[1]! } : { name: parts[0]! }, kind);
      problem = 'problem' in on ? on.problem : null;
    } else {
      const parts = RELATION_DROPS[type]
        ? stringList(nodeBody<{ items?: Node[] }>(object).items)
        : stringList(nodeBody<{ objname?: Node[] }>(object).objname);
      problem = objectSchemaProblem(ctx, kind, schemaOf(ctx, parts), parts[parts.length - 1]!, !!RELATION_DROPS[type]);
    }
    if (problem) return skip(problem.reason, stmt.objects!.length > 1 ? `${problem.detail} (the DROP names several objects: all must be replicated)` : problem.detail);
  }
  const written = behavior();
  if (written) return skip(written.reason, written.detail);
  return applyTree(ctx, names, node, [], [], false);
}
