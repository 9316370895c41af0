// Views and materialized views of the schemas a task selects whole, as the server prints them
// (pg_get_viewdef), with their options and a materialized view's indexes.
import type { ClientBase } from 'pg';
import { ident } from '../util/sql';
import { ownNameProblem, type Candidate, type ObjectScope } from './non-table-objects';

interface ViewRow {
  oid: number;
  rule: number;
  schema: string;
  name: string;
  relkind: 'v' | 'm';
  options: string[] | null;
  def: string;
  indexes: string[];
  /** Functions and operators outside pg_catalog its query (and the views it reads, transitively) calls. */
  calls: string[];
}

/** After routines and aggregates; views over views are ordered by their dependencies at apply time. */
const VIEW_STAGE = 3;

export async function readViews(db: ClientBase, scope: ObjectScope): Promise<Candidate[]> {
  const schemas = [...scope.schemas, ...scope.renamedSchemas.map((s) => s.source)];
  if (!schemas.length) return [];
  const { rows } = await db.query<ViewRow>(
    `SELECT c.oid::int8 AS oid, r.oid::int8 AS rule, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
            c.reloptions AS options, pg_get_viewdef(c.oid) AS def,
            ARRAY(SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = c.oid ORDER BY i.indexrelid) AS indexes,
            CASE WHEN c.relkind = 'm' THEN ARRAY(
              WITH RECURSIVE reach(rule) AS (
                SELECT r.oid UNION
                SELECT r2.oid FROM reach JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = reach.rule
                  AND d.refclassid = 'pg_class'::regclass JOIN pg_rewrite r2 ON r2.ev_class = d.refobjid AND r2.rulename = '_RETURN')
              SELECT DISTINCT pg_describe_object(d.refclassid, d.refobjid, 0) FROM reach
                JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = reach.rule
                LEFT JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
                LEFT JOIN pg_operator o ON d.refclassid = 'pg_operator'::regclass AND o.oid = d.refobjid
               WHERE p.pronamespace <> 'pg_catalog'::regnamespace OR o.oprnamespace <> 'pg_catalog'::regnamespace)
            ELSE '{}' END AS calls
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_rewrite r ON r.ev_class = c.oid AND r.rulename = '_RETURN'
      WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('v', 'm')
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
      ORDER BY c.oid`,
    [schemas],
  );
  return rows.map((r) => {
    const ref = { schema: r.schema, name: r.name };
    const base = {
      kind: r.relkind === 'm' ? 'materialized view' : 'view',
      name: `${r.schema}.${r.name}`,
      stage: VIEW_STAGE,
      provides: { classid: 'pg_class', oid: Number(r.oid) },
      depends: { classid: 'pg_rewrite', oid: Number(r.rule) },
    } as const;
    const problem = ownNameProblem(scope, ref, true);
    if (problem) return { ...base, statements: [], problem };
    const name = `${ident(r.schema)}.${ident(r.name)}`;
    const options = r.options?.length ? ` WITH (${r.options.join(', ')})` : '';
    const query = r.def.trim().replace(/;$/, '');
    if (r.relkind === 'v') return { ...base, statements: [`CREATE OR REPLACE VIEW ${name}${options} AS ${query}`] };
    // Populating runs the query as pg-dts's role: only when it calls nothing a source role could have written.
    const populate = r.calls.length === 0;
    return {
      ...base,
      notPopulated: !populate,
      statements: [
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${name}${options} AS ${query} WITH ${populate ? '' : 'NO '}DATA`,
        ...r.indexes.map((i) => i.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS ')),
      ],
    };
  });
}
