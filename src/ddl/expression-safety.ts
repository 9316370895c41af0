// What replicated DDL may execute on the destination. Replay runs as the task's destination user (usually a
// superuser), while the statement was written by whoever could run DDL on the source: an expression in it
// (a DEFAULT evaluated for every existing row, a CHECK, an index expression, ALTER … TYPE … USING) would run
// with the destination's rights, not its author's. So every function a replayed statement calls must be one
// of a known set of side-effect-free built-ins, called as pg_catalog's (the call is rewritten to
// `pg_catalog.f(…)`, so no function of the same name in another schema can be picked by overload
// resolution); operators must be built in; subqueries are refused. Anything else is refused visibly, and
// the user applies it on the destination by hand. docs/security.md.
import type { Node } from 'libpg-query';
import { IMMUTABLE_FUNCTIONS, MIXED_VOLATILITY_FUNCTIONS } from '../catalog/row-filter';

/**
 * Built-ins a DEFAULT or a CHECK commonly uses that are not immutable but read nothing privileged and change
 * nothing outside the row: the clock, random values, sequences (nextval on a sequence of the replicated
 * table), formatting and JSON/array builders.
 */
const HARMLESS_FUNCTIONS: ReadonlySet<string> = new Set([
  'now', 'clock_timestamp', 'statement_timestamp', 'transaction_timestamp', 'timeofday', 'random', 'gen_random_uuid',
  'uuidv4', 'uuidv7', 'nextval', 'to_char', 'to_date', 'to_number', 'to_timestamp', 'concat', 'concat_ws', 'format',
  'array_to_string', 'coalesce', 'greatest', 'least', 'nullif', 'make_timestamptz', 'date_bin', 'jsonb_build_object',
  'jsonb_build_array', 'json_build_object', 'json_build_array', 'to_jsonb', 'to_json', 'array_append', 'array_prepend',
  'array_cat', 'array_remove', 'array_replace', 'jsonb_set', 'jsonb_insert', 'jsonb_strip_nulls', 'to_tsvector',
  'setweight', 'timestamptz', 'timestamp', 'time', 'timetz', 'interval', 'float8', 'int4', 'int8', 'numeric',
  'pg_collation_for', 'similar_to_escape', 'similar_escape', 'btrim', 'ltrim', 'rtrim', 'overlay', 'extract', 'date_part',
]);

/** Functions outside pg_catalog the worker's operator trusts in replayed DDL (`schema.function`, comma-separated). */
export function trustedFunctions(env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> {
  return new Set((env.PG_DTS_DDL_TRUSTED_FUNCTIONS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
}

type Json = { [key: string]: unknown };

const names = (list: unknown): string[] =>
  Array.isArray(list) ? list.map((n) => String(((n as Json).String as Json | undefined)?.sval ?? '')) : [];

/**
 * Checks every expression in a statement's tree, rewriting unqualified built-in calls to pg_catalog's in
 * place. Returns why the statement may not run on the destination, or null.
 */
export function unsafeExpression(stmt: Node, trusted: ReadonlySet<string> = trustedFunctions()): string | null {
  let problem: string | null = null;
  // `unevaluated`: the column DEFAULTs of a CREATE TABLE, which replay never evaluates (the table is empty
  // and the applier writes every column): they may name the application's own functions, as the source's do.
  const visit = (value: unknown, unevaluated: boolean): void => {
    if (problem || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach((v) => visit(v, unevaluated));
    for (const [key, body] of Object.entries(value as Json)) {
      if (key === 'SubLink') {
        problem = 'a subquery in replicated DDL would run on the destination with the task\'s rights';
        return;
      }
      if (key === 'FuncCall') problem = checkCall(body as Json, trusted, unevaluated);
      else if (key === 'A_Expr') problem = checkOperator(body as Json);
      if (problem) return;
      if (key === 'ColumnDef' && 'CreateStmt' in (stmt as Json)) {
        const { constraints, ...rest } = body as Json;
        visit(rest, unevaluated);
        for (const c of (constraints as Json[] | undefined) ?? []) visit(c, ((c.Constraint as Json | undefined)?.contype) === 'CONSTR_DEFAULT');
      } else visit(body, unevaluated);
    }
  };
  visit(stmt, false);
  return problem;
}

export const isBuiltinFunction = (fn: string): boolean => IMMUTABLE_FUNCTIONS.has(fn) || MIXED_VOLATILITY_FUNCTIONS.has(fn) || HARMLESS_FUNCTIONS.has(fn);

function checkCall(call: Json, trusted: ReadonlySet<string>, unevaluated: boolean): string | null {
  const parts = names(call.funcname);
  const shown = parts.join('.');
  if (parts.length === 2 && trusted.has(shown)) return null;
  const builtin = parts.length === 1 || (parts.length === 2 && parts[0] === 'pg_catalog');
  const fn = parts.at(-1)!;
  if (unevaluated && !(builtin && isBuiltinFunction(fn))) return null;
  if (!builtin || !isBuiltinFunction(fn)) {
    return `function ${shown}() is not one of the side-effect-free built-ins replicated DDL may call (it would run on the destination with the task's rights); ` +
      `run the statement on the destination yourself, or trust it with the worker setting PG_DTS_DDL_TRUSTED_FUNCTIONS=schema.${fn}`;
  }
  if (call.over || call.agg_star || call.agg_order || call.agg_filter || call.agg_within_group) {
    return `${fn}(...): aggregates and window functions are not allowed in replicated DDL`;
  }
  // Pinned to pg_catalog: overload resolution must not find a same-named function in a user schema.
  if (parts.length === 1) call.funcname = [{ String: { sval: 'pg_catalog' } }, ...(call.funcname as unknown[])];
  return null;
}

function checkOperator(expr: Json): string | null {
  const parts = names(expr.name);
  if (parts.length <= 1 || (parts.length === 2 && parts[0] === 'pg_catalog')) return null;
  return `operator ${parts.join('.')} is not built in: replicated DDL may only use pg_catalog's operators`;
}
