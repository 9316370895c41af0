// CREATE [OR REPLACE] VIEW, CREATE MATERIALIZED VIEW, REFRESH MATERIALIZED VIEW.
//
// A view's query does not run at CREATE: any function may appear in it. A materialized view's query runs,
// as pg-dts's role, when it is populated (CREATE … WITH DATA, REFRESH): it is populated only when it reads
// synced tables (not views, whose queries it would run too) and calls only known built-ins (pinned to
// pg_catalog) — otherwise it is created WITH NO DATA (noted) and the user refreshes it after cutover, as its
// owner. A REFRESH runs on the destination only when the materialized view there depends on no function or
// operator outside pg_catalog, itself or through the views it reads (checked at apply time, as schema sync
// decides it); otherwise it does nothing.
import type { CreateTableAsStmt, Node, RangeVar, RefreshMatViewStmt, ViewStmt } from 'libpg-query';
import { isIdentityMapping, targetTableName } from '../catalog/names';
import { literal, qualified } from '../util/sql';
import { applyTree, skip, type Problem } from './decision';
import { isBuiltinFunction } from './expression-safety';
import type { NameMapper } from './mapping';
import { nodeBody } from './parser';
import { objectSchemaProblem } from './object-scope';
import type { DdlContext, DdlDecision, DroppedPart } from './types';

type Json = { [key: string]: unknown };

/** Aggregates a populated materialized view may use (their code is the server's). */
const BUILTIN_AGGREGATES = new Set([
  'count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'every', 'array_agg', 'string_agg', 'json_agg', 'jsonb_agg',
  'json_object_agg', 'jsonb_object_agg', 'stddev', 'variance', 'percentile_cont', 'percentile_disc', 'mode',
]);

interface QueryFacts {
  /** Why a relation it reads keeps the view from being replicated. */
  problem: Problem | null;
  /** It reads only synced tables (no views, nothing unknown). */
  tablesOnly: boolean;
  /** It calls only known built-ins (unqualified or pg_catalog), now pinned to pg_catalog. */
  builtinsOnly: boolean;
}

/** Walks the query: every relation must be a synced table under its own name, or a view of a replicated schema. */
function inspectQuery(query: Node | undefined, ctx: DdlContext): QueryFacts {
  const ctes = new Set<string>();
  const relations: RangeVar[] = [];
  const calls: Json[] = [];
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach(visit);
    for (const [key, body] of Object.entries(value as Json)) {
      if (key === 'CommonTableExpr') ctes.add(String((body as Json).ctename));
      if (key === 'RangeVar') relations.push(body as RangeVar);
      if (key === 'FuncCall') calls.push(body as Json);
      visit(body);
    }
  };
  visit(query);
  let tablesOnly = true;
  for (const rv of relations) {
    if (!rv.schemaname && ctes.has(rv.relname!)) continue;
    const ref = ctx.resolveTable(rv.schemaname ? { schema: rv.schemaname, name: rv.relname! } : { name: rv.relname! });
    const shown = rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname!;
    if (!ref) return { problem: { reason: 'outside-selection', detail: `the query reads ${shown}, which the task does not know` }, tablesOnly: false, builtinsOnly: false };
    if (ctx.isSelected(ref)) {
      const target = targetTableName(ctx.mapping, ref);
      if (target.schema !== ref.schema || target.name !== ref.name || !isIdentityMapping(ctx.mapping, ref)) {
        return { problem: { reason: 'unsupported', detail: `the query reads ${ref.schema}.${ref.name}, which the task renames (or renames or leaves out columns of): the definition's text is not rewritten` }, tablesOnly: false, builtinsOnly: false };
      }
      continue;
    }
    // Not a synced table: a view (or materialized view) replicated in a schema selected whole, or nothing the destination has.
    const schemaProblem = objectSchemaProblem(ctx, 'relation', ref.schema, ref.name, true);
    if (schemaProblem) return { problem: { reason: schemaProblem.reason, detail: `the query reads ${shown}, which is not a synced table: ${schemaProblem.detail}` }, tablesOnly: false, builtinsOnly: false };
    tablesOnly = false;
  }
  let builtinsOnly = true;
  for (const call of calls) {
    const parts = ((call.funcname as Json[] | undefined) ?? []).map((n) => String((n.String as Json | undefined)?.sval ?? ''));
    const fn = parts.at(-1)!;
    const builtin = (parts.length === 1 || (parts.length === 2 && parts[0] === 'pg_catalog')) && (isBuiltinFunction(fn) || BUILTIN_AGGREGATES.has(fn));
    if (!builtin) builtinsOnly = false;
    // Pinned: overload resolution must not find a same-named function in a user schema.
    else if (parts.length === 1) call.funcname = [{ String: { sval: 'pg_catalog' } }, ...(call.funcname as unknown[])];
  }
  return { problem: null, tablesOnly, builtinsOnly };
}

export function translateCreateView(node: Node, ctx: DdlContext, names: NameMapper): DdlDecision {
  const stmt = nodeBody<ViewStmt>(node);
  const rv = stmt.view!;
  if (rv.relpersistence === 't') return skip('unsupported', 'temporary views are not replicated');
  const schemaProblem = objectSchemaProblem(ctx, 'view', rv.schemaname ?? ctx.searchPath[0], rv.relname!, true);
  if (schemaProblem) return skip(schemaProblem.reason, schemaProblem.detail);
  const { problem } = inspectQuery(stmt.query, ctx);
  if (problem) return skip(problem.reason, `view ${rv.relname}: ${problem.detail}`);
  return applyTree(ctx, names, node, [], [], false);
}

export function translateCreateMatView(node: Node, ctx: DdlContext, names: NameMapper): DdlDecision {
  const stmt = nodeBody<CreateTableAsStmt>(node);
  const rv = stmt.into!.rel!;
  const schema = rv.schemaname ?? ctx.searchPath[0];
  const schemaProblem = objectSchemaProblem(ctx, 'materialized view', schema, rv.relname!, true);
  if (schemaProblem) return skip(schemaProblem.reason, schemaProblem.detail);
  const facts = inspectQuery(stmt.query, ctx);
  if (facts.problem) return skip(facts.problem.reason, `materialized view ${rv.relname}: ${facts.problem.detail}`);
  const dropped: DroppedPart[] = [];
  if (!stmt.into!.skipData && !(facts.tablesOnly && facts.builtinsOnly)) {
    stmt.into!.skipData = true;
    dropped.push({
      reason: 'unsafe-expression',
      detail: `materialized view ${schema}.${rv.relname} created WITH NO DATA: its query ${facts.tablesOnly ? 'calls functions that are not known built-ins' : 'reads views'}, which would run as pg-dts's role; refresh it after cutover, as its owner`,
    });
  }
  delete stmt.into!.tableSpaceName;
  return applyTree(ctx, names, node, [], dropped, false);
}

/** Functions or operators outside pg_catalog the materialized view's query depends on, through the views it reads too. */
const unsafeDependencies = (matview: string): string =>
  `WITH RECURSIVE reach(rule) AS (
     SELECT r.oid FROM pg_catalog.pg_rewrite r WHERE r.ev_class = pg_catalog.to_regclass(${literal(matview)}) AND r.rulename = '_RETURN'
     UNION SELECT r2.oid FROM reach JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = reach.rule
       AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
       JOIN pg_catalog.pg_rewrite r2 ON r2.ev_class = d.refobjid AND r2.rulename = '_RETURN')
   SELECT 1 FROM reach JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = reach.rule
     LEFT JOIN pg_catalog.pg_proc p ON d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = d.refobjid
     LEFT JOIN pg_catalog.pg_operator o ON d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND o.oid = d.refobjid
    WHERE p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace OR o.oprnamespace <> 'pg_catalog'::pg_catalog.regnamespace`;

export function translateRefresh(node: Node, ctx: DdlContext, names: NameMapper): DdlDecision {
  const stmt = nodeBody<RefreshMatViewStmt>(node);
  const rv = stmt.relation!;
  const schema = rv.schemaname ?? ctx.searchPath[0];
  const schemaProblem = objectSchemaProblem(ctx, 'materialized view', schema, rv.relname!, true);
  if (schemaProblem) return skip(schemaProblem.reason, schemaProblem.detail);
  // Printed here, not by pgsql-deparser (which prints no relation for REFRESH): a fixed form with quoted names.
  // CONCURRENTLY only spares readers a lock; the applier's transaction is not the place for it.
  const refresh = `REFRESH MATERIALIZED VIEW ${qualified({ schema: schema!, name: rv.relname! })}${stmt.skipData ? ' WITH NO DATA' : ''}`;
  const apply = (sql: string): DdlDecision => ({ kind: 'apply', statements: [sql], effects: [], dropped: [], searchPath: names.searchPath(ctx.searchPath) });
  if (stmt.skipData) return apply(refresh);
  const body = `BEGIN IF NOT EXISTS (${unsafeDependencies(qualified({ schema: schema!, name: rv.relname! }))}) THEN EXECUTE ${literal(refresh)}; END IF; END`;
  let tag = 'pgdts';
  for (let i = 0; body.includes(`$${tag}$`); i++) tag = `pgdts${i}`;
  return apply(`DO $${tag}$ ${body} $${tag}$`);
}
