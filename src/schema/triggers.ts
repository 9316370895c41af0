// Triggers, rules, policies and row level security of the synced tables, as the server prints them
// (pg_get_triggerdef, pg_get_ruledef, pg_get_expr on pg_policy). pg-dts's own triggers (functions in
// _pg_dts), internal ones (foreign keys) and partition clones of a parent's trigger are not the table's.
import type { ClientBase } from 'pg';
import { tableKey, targetSchemaName, type TableRef } from '../catalog/names';
import { ident, qualified } from '../util/sql';
import type { Candidate, ObjectScope } from './non-table-objects';
import { partitionRootSql, partitionTreeSql } from '../catalog/partition-sql';
import { serverVersionNum, triggerIsOwnSql } from '../catalog/server-version';

/** After views (a rule may name one) and routines (a trigger calls one). */
const TABLE_OBJECT_STAGE = 4;

/** tgenabled / ev_enabled: O fires in origin sessions only, D never, R in replica sessions only, A always. */
const FIRES_IN_REPLICA = new Set(['A', 'R']);

interface TriggerRow { oid: number; schema: string; table: string; root: string; name: string; enabled: string; def: string }
interface RuleRow { oid: number; schema: string; table: string; root: string; name: string; enabled: string; def: string }
interface PolicyRow {
  oid: number; schema: string; table: string; root: string; name: string; cmd: string; permissive: boolean;
  roles: string[]; qual: string | null; check: string | null;
}
interface RlsRow { schema: string; table: string; root: string; enabled: boolean; forced: boolean }

const COMMANDS: Record<string, string> = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE', '*': 'ALL' };

export async function readTableObjects(db: ClientBase, scope: ObjectScope): Promise<Candidate[]> {
  const tables = [...scope.sameTables, ...scope.mappedTables];
  if (!tables.length) return [];
  const mapped = new Set(scope.mappedTables.map(tableKey));
  const params = [tables.map((t) => t.schema), tables.map((t) => t.name)];
  const version = await serverVersionNum(db);
  // The selected tables and their partitions (a partition may carry triggers, rules and policies of its own).
  // The partition tree has no row for a table that is not partitioned: the table itself comes from `tables`.
  const selected = `(WITH tables AS (SELECT c.oid FROM unnest($1::text[], $2::text[]) s(schema, name)
                       JOIN pg_namespace n ON n.nspname = s.schema JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.name)
                     SELECT oid FROM tables UNION SELECT t.relid FROM tables, LATERAL ${partitionTreeSql('tables.oid')} t)`;
  // The root each row's table belongs to: its mapping decides whether the definition can be kept.
  const root = `(SELECT rn.nspname || '.' || rc.relname FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace
                  WHERE rc.oid = coalesce(${partitionRootSql('c.oid')}::oid, c.oid)) AS root`;
  const triggers = await db.query<TriggerRow>(
    `SELECT t.oid::int8 AS oid, n.nspname AS schema, c.relname AS table, t.tgname AS name, t.tgenabled::text AS enabled,
            pg_get_triggerdef(t.oid) AS def, ${root}
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
      WHERE t.tgrelid IN ${selected} AND NOT t.tgisinternal AND ${triggerIsOwnSql(version)} AND pn.nspname <> '_pg_dts'
      ORDER BY n.nspname, c.relname, t.tgname`,
    params,
  );
  const rules = await db.query<RuleRow>(
    `SELECT r.oid::int8 AS oid, n.nspname AS schema, c.relname AS table, r.rulename AS name, r.ev_enabled::text AS enabled,
            pg_get_ruledef(r.oid) AS def, ${root}
       FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE r.ev_class IN ${selected} AND r.rulename <> '_RETURN' ORDER BY n.nspname, c.relname, r.rulename`,
    params,
  );
  const policies = await db.query<PolicyRow>(
    `SELECT p.oid::int8 AS oid, n.nspname AS schema, c.relname AS table, p.polname AS name, p.polcmd::text AS cmd,
            p.polpermissive AS permissive,
            ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE (SELECT rolname::text FROM pg_roles WHERE oid = r) END FROM unnest(p.polroles) r)::text[] AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS check, ${root}
       FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE p.polrelid IN ${selected} ORDER BY n.nspname, c.relname, p.polname`,
    params,
  );
  const rls = await db.query<RlsRow>(
    `SELECT n.nspname AS schema, c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced, ${root}
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid IN ${selected} AND (c.relrowsecurity OR c.relforcerowsecurity) ORDER BY 1, 2`,
    params,
  );
  const renamed = (t: TableRef, root: string): string | undefined => {
    if (mapped.has(root)) return `the task renames ${root} (or renames or leaves out some of its columns): its definition cannot be rewritten safely`;
    // A partition keeps its name, in its own schema's destination name.
    if (targetSchemaName(scope.spec, t.schema) !== t.schema) return `the task renames schema ${t.schema}: the definition cannot be rewritten safely`;
    return undefined;
  };
  const base = { stage: TABLE_OBJECT_STAGE };
  return [
    ...triggers.rows.map((t): Candidate => {
      const table = { schema: t.schema, name: t.table };
      const name = `${t.name} on ${tableKey(table)}`;
      const problem = renamed(table, t.root) ?? (FIRES_IN_REPLICA.has(t.enabled)
        ? `ENABLE ${t.enabled === 'A' ? 'ALWAYS' : 'REPLICA'}: it would fire while pg-dts applies rows, running source-written code as pg-dts's role; create it yourself after cutover`
        : undefined);
      const statements = [`DROP TRIGGER IF EXISTS ${ident(t.name)} ON ${qualified(table)}`, t.def];
      if (t.enabled === 'D') statements.push(`ALTER TABLE ${qualified(table)} DISABLE TRIGGER ${ident(t.name)}`);
      return { ...base, kind: 'trigger', name, depends: { classid: 'pg_trigger', oid: Number(t.oid) }, statements, ...(problem ? { problem } : {}) };
    }),
    ...rules.rows.map((r): Candidate => {
      const table = { schema: r.schema, name: r.table };
      const problem = renamed(table, r.root) ?? (FIRES_IN_REPLICA.has(r.enabled)
        ? `ENABLE ${r.enabled === 'A' ? 'ALWAYS' : 'REPLICA'}: it would rewrite pg-dts's own writes; create it yourself after cutover`
        : undefined);
      const statements = [r.def.trim().replace(/;$/, '').replace(/^CREATE RULE /, 'CREATE OR REPLACE RULE ')];
      if (r.enabled === 'D') statements.push(`ALTER TABLE ${qualified(table)} DISABLE RULE ${ident(r.name)}`);
      return {
        ...base, kind: 'rule', name: `${r.name} on ${tableKey(table)}`, depends: { classid: 'pg_rewrite', oid: Number(r.oid) }, statements,
        ...(problem ? { problem } : {}),
      };
    }),
    ...policies.rows.map((p): Candidate => {
      const table = { schema: p.schema, name: p.table };
      const problem = renamed(table, p.root);
      const roles = p.roles.map((r) => (r === 'public' ? 'PUBLIC' : ident(r))).join(', ');
      const create = `CREATE POLICY ${ident(p.name)} ON ${qualified(table)} AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${COMMANDS[p.cmd]} TO ${roles}` +
        `${p.qual !== null ? ` USING (${p.qual})` : ''}${p.check !== null ? ` WITH CHECK (${p.check})` : ''}`;
      return {
        ...base, kind: 'policy', name: `${p.name} on ${tableKey(table)}`, depends: { classid: 'pg_policy', oid: Number(p.oid) },
        statements: [`DROP POLICY IF EXISTS ${ident(p.name)} ON ${qualified(table)}`, create], ...(problem ? { problem } : {}),
      };
    }),
    ...rls.rows.flatMap((r): Candidate[] => {
      const table = { schema: r.schema, name: r.table };
      const problem = renamed(table, r.root);
      const name = tableKey(table);
      const enable: Candidate[] = r.enabled
        ? [{ ...base, kind: 'row level security', name, statements: [`ALTER TABLE ${qualified(table)} ENABLE ROW LEVEL SECURITY`], ...(problem ? { problem } : {}) }]
        : [];
      // FORCE makes the policies apply to the table's owner, i.e. to pg-dts's own writes on the destination.
      const force: Candidate[] = r.forced
        ? [{ ...base, kind: 'row level security', name: `FORCE on ${name}`, statements: [],
            problem: 'FORCE ROW LEVEL SECURITY would apply the policies to pg-dts\'s own writes as the table\'s owner; set it after cutover' }]
        : [];
      return [...enable, ...force];
    }),
  ];
}
