// Views, materialized views, functions, procedures, aggregates, triggers, rules and policies: which of them
// schema sync creates on the destination, which it cannot (each listed with its reason, never skipped in
// silence), and the extensions they need. Read with the server's own definitions (pg_get_*def) by
// views.ts, routines.ts and triggers.ts; this file decides and orders.
//
// Rules (docs/schema-sync.md, docs/security.md):
// - only the objects of schemas the task selects whole (no `tables` list), plus the triggers, rules,
//   policies and RLS flags of every synced table;
// - an object's text is the server's, never rewritten: its schema must keep its name on the destination,
//   and every table it names must be synced under its own name with no column renamed or left out;
// - nothing written on the source may run as the destination's task role: SECURITY DEFINER routines,
//   untrusted languages, triggers and rules that fire in replica sessions (ENABLE ALWAYS / REPLICA) and
//   FORCE ROW LEVEL SECURITY are refused; a materialized view is only populated when its query calls
//   nothing outside pg_catalog.
import type { ClientBase } from 'pg';
import { isIdentityMapping, objectEntryFor, tableKey, targetSchemaName, targetTableName, type Mapping, type SelectedTable, type TableRef } from '../catalog/names';
import { readRoutines } from './routines';
import { readTableObjects } from './triggers';
import { readViews } from './views';

export type ObjectKind =
  | 'view' | 'materialized view' | 'function' | 'procedure' | 'aggregate' | 'trigger' | 'rule' | 'policy' | 'row level security';

/** A dependency the server records for an object (pg_depend), with what decides whether the destination has it. */
export interface ObjectRef {
  /** pg_depend identity of the object whose dependencies are checked (a view's _RETURN rule, a trigger, ...). */
  classid: 'pg_proc' | 'pg_rewrite' | 'pg_trigger' | 'pg_policy' | 'pg_class';
  oid: number;
}

/** One object read from the source, before the dependency checks. */
export interface Candidate {
  kind: ObjectKind;
  /** How users name it: `schema.name`, `schema.name(args)`, `trigger on schema.table`. */
  name: string;
  /** Creation order among kinds that do not depend on each other's existence at CREATE. */
  stage: number;
  /** The catalog row that other objects' dependencies point at (a view's pg_class oid, a routine's pg_proc oid). */
  provides?: { classid: 'pg_class' | 'pg_proc'; oid: number };
  /** Whose pg_depend rows are checked; none for objects without dependencies of their own (RLS flags). */
  depends?: ObjectRef;
  statements: string[];
  /** Why it cannot be created (decided by its reader), or undefined. */
  problem?: string;
  /** A materialized view created WITH NO DATA (its query calls functions outside pg_catalog). */
  notPopulated?: boolean;
}

export interface UnsupportedObject {
  kind: ObjectKind;
  name: string;
  reason: string;
}

export interface NeededExtension {
  name: string;
  /** The schema the extension lives in on the source (its objects are named with it). */
  schema: string;
}

export interface NonTableObjectsPlan {
  /** In creation order: statements of one object each. */
  objects: { kind: ObjectKind; name: string; statements: string[] }[];
  unsupported: UnsupportedObject[];
  /** Materialized views created WITH NO DATA: refresh them after cutover, as their owner. */
  notPopulated: string[];
  extensions: NeededExtension[];
}

/** What the readers need to know about the selection. */
export interface ObjectScope {
  spec: Mapping;
  /** Schemas selected whole whose destination name is their own: their objects are created. */
  schemas: string[];
  /** Schemas selected whole under another name: their objects are listed as unsupported. */
  renamedSchemas: { source: string; target: string }[];
  /** Synced tables (source names) whose name and columns the destination keeps. */
  sameTables: TableRef[];
  /** Synced tables renamed on the destination, or with columns renamed or left out. */
  mappedTables: TableRef[];
}

export function objectScope(spec: Mapping, tables: SelectedTable[]): ObjectScope {
  const whole = spec.objects.filter((o) => !o.tables).map((o) => o.schema);
  const same = (t: SelectedTable): boolean =>
    t.source.schema === t.target.schema && t.source.name === t.target.name && isIdentityMapping(spec, t.source);
  return {
    spec,
    schemas: whole.filter((s) => targetSchemaName(spec, s) === s),
    renamedSchemas: whole.filter((s) => targetSchemaName(spec, s) !== s).map((s) => ({ source: s, target: targetSchemaName(spec, s) })),
    sameTables: tables.filter(same).map((t) => t.source),
    mappedTables: tables.filter((t) => !same(t)).map((t) => t.source),
  };
}

/** Why an object named `name` in a whole-selected schema cannot keep its text on the destination, or null. */
export function ownNameProblem(scope: ObjectScope, ref: TableRef, relation: boolean): string | null {
  const renamed = scope.renamedSchemas.find((s) => s.source === ref.schema);
  if (renamed) return `its schema ${ref.schema} is renamed to ${renamed.target} on the destination, and its definition names the source schema (create it there yourself)`;
  if (relation) {
    const target = targetTableName(scope.spec, ref);
    if (target.name !== ref.name) return `the task's name mapping would rename it to ${target.name}, and definitions that name it cannot be rewritten safely`;
  }
  return null;
}

interface Dependency {
  cls: string;
  objid: number;
  refcls: string;
  refoid: number;
  descr: string;
  nsp: string | null;
  relkind: string | null;
  relname: string | null;
  ext: string | null;
  ext_schema: string | null;
}

async function readDependencies(db: ClientBase, refs: ObjectRef[]): Promise<Dependency[]> {
  if (!refs.length) return [];
  const { rows } = await db.query<Dependency>(
    `SELECT d.classid::regclass::text AS cls, d.objid::int8 AS objid, d.refclassid::regclass::text AS refcls,
            d.refobjid::int8 AS refoid, pg_describe_object(d.refclassid, d.refobjid, 0) AS descr,
            coalesce(pn.nspname, cn.nspname) AS nsp, c.relkind::text AS relkind, c.relname, x.extname AS ext, xn.nspname AS ext_schema
       FROM unnest($1::text[], $2::oid[]) o(cls, oid)
       JOIN pg_depend d ON d.classid = o.cls::regclass AND d.objid = o.oid AND d.deptype = 'n'
       LEFT JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
       LEFT JOIN pg_namespace pn ON pn.oid = p.pronamespace
       LEFT JOIN pg_class c ON d.refclassid = 'pg_class'::regclass AND c.oid = d.refobjid
       LEFT JOIN pg_namespace cn ON cn.oid = c.relnamespace
       LEFT JOIN pg_depend e ON e.classid = d.refclassid AND e.objid = d.refobjid AND e.refclassid = 'pg_extension'::regclass AND e.deptype = 'e'
       LEFT JOIN pg_extension x ON x.oid = e.refobjid
       LEFT JOIN pg_namespace xn ON xn.oid = x.extnamespace
      WHERE NOT (d.refclassid = 'pg_class'::regclass AND d.refobjid = (SELECT r.ev_class FROM pg_rewrite r WHERE o.cls = 'pg_rewrite' AND r.oid = o.oid AND r.rulename = '_RETURN'))`,
    [refs.map((r) => r.classid), refs.map((r) => r.oid)],
  );
  return rows.map((r) => ({ ...r, objid: Number(r.objid), refoid: Number(r.refoid) }));
}

const BUILT_IN_SCHEMAS = new Set(['pg_catalog', 'information_schema']);

/**
 * Reads every candidate, then drops (and lists) those whose dependencies the destination will not have,
 * until nothing changes: a view over a view that is refused is refused too.
 */
export async function planNonTableObjects(db: ClientBase, spec: Mapping, tables: SelectedTable[]): Promise<NonTableObjectsPlan> {
  const scope = objectScope(spec, tables);
  const candidates = [...(await readRoutines(db, scope)), ...(await readViews(db, scope)), ...(await readTableObjects(db, scope))];
  const deps = await readDependencies(db, candidates.flatMap((c) => (c.depends ? [c.depends] : [])));
  const depsOf = new Map<string, Dependency[]>();
  for (const d of deps) depsOf.set(`${d.cls}:${d.objid}`, [...(depsOf.get(`${d.cls}:${d.objid}`) ?? []), d]);
  const sameTables = new Set(scope.sameTables.map(tableKey));
  const mappedTables = new Set(scope.mappedTables.map(tableKey));
  const problems = new Map<Candidate, string>(candidates.filter((c) => c.problem).map((c) => [c, c.problem!]));
  for (let changed = true; changed;) {
    changed = false;
    const created = new Set(candidates.filter((c) => !problems.has(c) && c.provides).map((c) => `${c.provides!.classid}:${c.provides!.oid}`));
    for (const c of candidates) {
      if (problems.has(c) || !c.depends) continue;
      const problem = (depsOf.get(`${c.depends.classid}:${c.depends.oid}`) ?? [])
        .map((d) => dependencyProblem(d, created, sameTables, mappedTables, scope))
        .find((p) => p);
      if (problem) {
        problems.set(c, problem);
        changed = true;
      }
    }
  }
  const ok = candidates.filter((c) => !problems.has(c)).sort((a, b) => a.stage - b.stage);
  const extensions = new Map<string, NeededExtension>();
  for (const c of ok) {
    for (const d of c.depends ? depsOf.get(`${c.depends.classid}:${c.depends.oid}`) ?? [] : []) {
      if (d.ext && d.ext !== 'plpgsql') extensions.set(d.ext, { name: d.ext, schema: d.ext_schema! });
    }
  }
  return {
    objects: ok.map((c) => ({ kind: c.kind, name: c.name, statements: c.statements })),
    unsupported: [...problems].map(([c, reason]) => ({ kind: c.kind, name: c.name, reason })).sort((a, b) => a.name.localeCompare(b.name)),
    notPopulated: ok.filter((c) => c.notPopulated).map((c) => c.name),
    extensions: [...extensions.values()].sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function dependencyProblem(d: Dependency, created: Set<string>, sameTables: Set<string>, mappedTables: Set<string>, scope: ObjectScope): string | null {
  if (d.ext || (d.nsp && BUILT_IN_SCHEMAS.has(d.nsp))) return null;
  if (d.refcls === 'pg_proc') {
    return created.has(`pg_proc:${d.refoid}`) ? null : `it uses ${d.descr}, which is not created on the destination (select its schema whole; see the other objects listed)`;
  }
  if (d.refcls !== 'pg_class') return null; // types, operators, collations: the destination's own or synced with the tables
  if (created.has(`pg_class:${d.refoid}`)) return null;
  if (d.relkind === 'S' && d.nsp && (scope.schemas.includes(d.nsp) || objectEntryFor(scope.spec, d.nsp) && targetSchemaName(scope.spec, d.nsp) === d.nsp)) return null;
  const key = `${d.nsp}.${d.relname}`;
  if (mappedTables.has(key)) return `it uses ${d.descr}, which the task renames (or whose columns it renames or leaves out): its definition cannot be rewritten safely`;
  if (sameTables.has(key)) return null;
  return `it uses ${d.descr}, which the task does not sync`;
}

/** Extension rows the destination has: installed ones, and the ones it could install. */
export interface DestinationExtension {
  name: string;
  installed: boolean;
  /** CREATE EXTENSION by a non-superuser with CREATE on the database is allowed (PostgreSQL 13+ `trusted`). */
  trusted: boolean;
}
