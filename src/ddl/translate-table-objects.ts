// CREATE TRIGGER, CREATE RULE, CREATE POLICY on a table the task syncs under its own name with its own
// columns. Replayed as written: the trigger is created enabled for origin sessions only, so it does not fire
// while pg-dts applies rows (session_replication_role = replica); ENABLE ALWAYS / REPLICA is an ALTER TABLE,
// not replicated. A rule's actions and a policy's expressions run when the table is used, not at CREATE.
import type { CreatePolicyStmt, CreateTrigStmt, Node, RangeVar, RuleStmt } from 'libpg-query';
import { applyTree, skip } from './decision';
import type { NameMapper } from './mapping';
import { nodeBody, stringList } from './parser';
import { objectSchemaProblem, ownTableProblem } from './object-scope';
import type { DdlContext, DdlDecision } from './types';

function onSyncedTable(node: Node, ctx: DdlContext, names: NameMapper, rv: RangeVar, kind: string): DdlDecision {
  const on = ownTableProblem(ctx, rv.schemaname ? { schema: rv.schemaname, name: rv.relname! } : { name: rv.relname! }, kind);
  if ('problem' in on) return skip(on.problem.reason, on.problem.detail);
  // Always schema-qualified: the destination's search path is not the source's.
  rv.schemaname = on.table.schema;
  return applyTree(ctx, names, node, [], [], false);
}

export function translateCreateTrigger(node: Node, ctx: DdlContext, names: NameMapper): DdlDecision {
  const stmt = nodeBody<CreateTrigStmt>(node);
  // Its function must be one the destination has: a built-in, or one replicated with its schema.
  const fn = stringList(stmt.funcname);
  if (fn.length > 1 && fn[0] !== 'pg_catalog') {
    const problem = objectSchemaProblem(ctx, 'function', fn[0], fn[1]!, false);
    if (problem) return skip(problem.reason, `trigger ${stmt.trigname} calls ${fn.join('.')}(), which is not replicated: ${problem.detail}`);
  }
  return onSyncedTable(node, ctx, names, stmt.relation!, `trigger ${stmt.trigname}`);
}

export function translateCreateRule(node: Node, ctx: DdlContext, names: NameMapper): DdlDecision {
  const stmt = nodeBody<RuleStmt>(node);
  return onSyncedTable(node, ctx, names, stmt.relation!, `rule ${stmt.rulename}`);
}

export function translateCreatePolicy(node: Node, ctx: DdlContext, names: NameMapper): DdlDecision {
  const stmt = nodeBody<CreatePolicyStmt>(node);
  return onSyncedTable(node, ctx, names, stmt.table!, `policy ${stmt.policy_name}`);
}
