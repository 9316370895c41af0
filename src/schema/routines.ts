// Functions, procedures and aggregates of the schemas a task selects whole, as the server prints them
// (pg_get_functiondef; aggregates rebuilt from pg_aggregate). Extension members are the extension's.
import type { ClientBase } from 'pg';
import { ident, literal } from '../util/sql';
import { ownNameProblem, type Candidate, type ObjectScope } from './non-table-objects';

interface RoutineRow {
  oid: number;
  schema: string;
  name: string;
  kind: 'f' | 'p' | 'a' | 'w';
  args: string;
  secdef: boolean;
  language: string;
  trusted: boolean;
  def: string | null;
}

interface AggregateRow {
  oid: number;
  aggkind: string;
  sfunc: string;
  stype: string;
  sspace: number;
  finalfunc: string;
  finalextra: boolean;
  combinefunc: string;
  serialfunc: string;
  deserialfunc: string;
  msfunc: string;
  minvfunc: string;
  mstype: string | null;
  mfinalfunc: string;
  initcond: string | null;
  minitcond: string | null;
  sortop: string | null;
  parallel: string;
}

/** Stage 1: routines exist before the views, triggers and aggregates that name them; bodies are not checked at CREATE. */
const ROUTINE_STAGE = 1;
const AGGREGATE_STAGE = 2;

export async function readRoutines(db: ClientBase, scope: ObjectScope): Promise<Candidate[]> {
  const schemas = [...scope.schemas, ...scope.renamedSchemas.map((s) => s.source)];
  if (!schemas.length) return [];
  const { rows } = await db.query<RoutineRow>(
    `SELECT p.oid::int8 AS oid, n.nspname AS schema, p.proname AS name, p.prokind::text AS kind,
            pg_get_function_identity_arguments(p.oid) AS args, p.prosecdef AS secdef, l.lanname AS language,
            l.lanpltrusted AS trusted, CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END AS def
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
      WHERE n.nspname = ANY($1::text[])
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
      ORDER BY n.nspname, p.proname, p.oid`,
    [schemas],
  );
  const aggregates = new Map((await readAggregates(db, rows.filter((r) => r.kind === 'a').map((r) => Number(r.oid)))).map((a) => [a.oid, a]));
  return rows.map((r) => {
    const oid = Number(r.oid);
    const kind = r.kind === 'p' ? 'procedure' : r.kind === 'a' ? 'aggregate' : 'function';
    const name = `${r.schema}.${r.name}(${r.args})`;
    const base = { kind, name, provides: { classid: 'pg_proc', oid }, depends: { classid: 'pg_proc', oid } } as const;
    const problem = routineProblem(scope, r);
    if (problem) return { ...base, stage: ROUTINE_STAGE, statements: [], problem };
    if (r.kind === 'a') {
      const agg = aggregates.get(oid)!;
      const built = createAggregate(r, agg);
      return typeof built === 'string'
        ? { ...base, stage: AGGREGATE_STAGE, statements: [built] }
        : { ...base, stage: AGGREGATE_STAGE, statements: [], problem: built.problem };
    }
    return { ...base, stage: ROUTINE_STAGE, statements: [r.def!] };
  });
}

/** Why a routine must not be created from the source's text, or null. */
function routineProblem(scope: ObjectScope, r: RoutineRow): string | null {
  const own = ownNameProblem(scope, { schema: r.schema, name: r.name }, false);
  if (own) return own;
  if (r.kind === 'w') return 'window functions are not created (their code is C)';
  // Owned by the destination's task role, it would run with that role's rights for every caller.
  if (r.secdef) return 'SECURITY DEFINER: on the destination it would run with the rights of pg-dts\'s role (its owner there); create it yourself as the right owner';
  // CREATE FUNCTION in C loads a library; other untrusted languages run anything the body says as the caller's OS user.
  if (!r.trusted && r.kind !== 'a') return `language ${r.language} is untrusted: its code could do anything on the destination's host; create it yourself`;
  return null;
}

async function readAggregates(db: ClientBase, oids: number[]): Promise<AggregateRow[]> {
  if (!oids.length) return [];
  const { rows } = await db.query<AggregateRow>(
    `SELECT a.aggfnoid::oid::int8 AS oid, a.aggkind::text AS aggkind, a.aggtransfn::text AS sfunc, format_type(a.aggtranstype, NULL) AS stype,
            a.aggtransspace AS sspace, a.aggfinalfn::text AS finalfunc, a.aggfinalextra AS finalextra, a.aggcombinefn::text AS combinefunc,
            a.aggserialfn::text AS serialfunc, a.aggdeserialfn::text AS deserialfunc, a.aggmtransfn::text AS msfunc,
            a.aggminvtransfn::text AS minvfunc, CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END AS mstype,
            a.aggmfinalfn::text AS mfinalfunc, a.agginitval AS initcond, a.aggminitval AS minitcond,
            CASE WHEN a.aggsortop <> 0 THEN a.aggsortop::regoperator::text END AS sortop, p.proparallel::text AS parallel
       FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE a.aggfnoid = ANY($1::oid[])`,
    [oids],
  );
  return rows.map((r) => ({ ...r, oid: Number(r.oid) }));
}

const NONE = '-';

/** CREATE OR REPLACE AGGREGATE from pg_aggregate (the server has no pg_get_aggregatedef). */
export function createAggregate(r: Pick<RoutineRow, 'schema' | 'name' | 'args'>, a: AggregateRow): string | { problem: string } {
  if (a.aggkind !== 'n') return { problem: 'ordered-set and hypothetical-set aggregates are not created' };
  const opts: string[] = [`SFUNC = ${a.sfunc}`, `STYPE = ${a.stype}`];
  if (a.sspace) opts.push(`SSPACE = ${a.sspace}`);
  if (a.finalfunc !== NONE) opts.push(`FINALFUNC = ${a.finalfunc}`);
  if (a.finalextra) opts.push('FINALFUNC_EXTRA');
  if (a.combinefunc !== NONE) opts.push(`COMBINEFUNC = ${a.combinefunc}`);
  if (a.serialfunc !== NONE) opts.push(`SERIALFUNC = ${a.serialfunc}`);
  if (a.deserialfunc !== NONE) opts.push(`DESERIALFUNC = ${a.deserialfunc}`);
  if (a.initcond !== null) opts.push(`INITCOND = ${literal(a.initcond)}`);
  if (a.msfunc !== NONE) opts.push(`MSFUNC = ${a.msfunc}`, `MINVFUNC = ${a.minvfunc}`, `MSTYPE = ${a.mstype}`);
  if (a.mfinalfunc !== NONE) opts.push(`MFINALFUNC = ${a.mfinalfunc}`);
  if (a.minitcond !== null) opts.push(`MINITCOND = ${literal(a.minitcond)}`);
  if (a.sortop) opts.push(`SORTOP = OPERATOR(${a.sortop.replace(/\(.*$/, '')})`);
  if (a.parallel === 's') opts.push('PARALLEL = SAFE');
  else if (a.parallel === 'r') opts.push('PARALLEL = RESTRICTED');
  return `CREATE OR REPLACE AGGREGATE ${ident(r.schema)}.${ident(r.name)}(${r.args || '*'}) (${opts.join(', ')})`;
}
