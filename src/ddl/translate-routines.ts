// CREATE [OR REPLACE] FUNCTION / PROCEDURE and CREATE [OR REPLACE] AGGREGATE in a schema the task selects
// whole and does not rename. CREATE runs no body (the applier's session validates plpgsql syntax only), so
// bodies and parameter defaults are not held to expression-safety.ts; what would later run with pg-dts's
// role's rights is refused: SECURITY DEFINER (the destination's owner is pg-dts's role) and languages that
// are not trusted (C loads a library at CREATE; plpython3u and the like reach the host).
import type { CreateFunctionStmt, DefElem, DefineStmt, Node } from 'libpg-query';
import { applyTree, skip } from './decision';
import type { NameMapper } from './mapping';
import { nodeBody, stringList } from './parser';
import { objectSchemaProblem, schemaOf } from './object-scope';
import type { DdlContext, DdlDecision } from './types';

/** Languages PostgreSQL installs as trusted (lanpltrusted). Others are refused, whatever the destination says. */
const TRUSTED_LANGUAGES = new Set(['sql', 'plpgsql', 'plperl', 'pltcl']);

const option = (options: Node[] | undefined, name: string): DefElem | undefined =>
  (options ?? []).map((o) => nodeBody<DefElem>(o)).find((d) => d.defname === name);

export function translateCreateFunction(node: Node, ctx: DdlContext, names: NameMapper): DdlDecision {
  const stmt = nodeBody<CreateFunctionStmt>(node);
  const kind = stmt.is_procedure ? 'procedure' : 'function';
  const parts = stringList(stmt.funcname);
  const name = parts[parts.length - 1]!;
  const problem = objectSchemaProblem(ctx, kind, schemaOf(ctx, parts), name, false);
  if (problem) return skip(problem.reason, problem.detail);
  const security = option(stmt.options, 'security');
  if (security && nodeBody<{ boolval?: boolean }>(security.arg).boolval) {
    return skip('unsafe-expression', `${kind} ${name} is SECURITY DEFINER: on the destination it would run with the rights of pg-dts's role (its owner there); create it yourself as the right owner`);
  }
  const language = option(stmt.options, 'language');
  const lang = language ? String(nodeBody<{ sval?: string }>(language.arg).sval).toLowerCase() : 'sql';
  if (!TRUSTED_LANGUAGES.has(lang)) {
    return skip('unsafe-expression', `${kind} ${name} is in language ${lang}, which is not a trusted language: its code could do anything on the destination's host; create it yourself`);
  }
  return applyTree(ctx, names, node, [], [], false);
}

export function translateDefineAggregate(node: Node, ctx: DdlContext, names: NameMapper): DdlDecision {
  const stmt = nodeBody<DefineStmt>(node);
  const parts = stringList(stmt.defnames);
  const problem = objectSchemaProblem(ctx, 'aggregate', schemaOf(ctx, parts), parts[parts.length - 1]!, false);
  if (problem) return skip(problem.reason, problem.detail);
  return applyTree(ctx, names, node, [], [], false);
}
