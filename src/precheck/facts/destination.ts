// Facts of the destination: version, encoding, what the user may create and execute, which target
// names are taken, and free disk space. Reads only (the space probe rolls its temporary table back).
import type { ClientBase } from 'pg';
import type { TableRef } from '../../catalog/names';
import { measureFreeSpace, SPACE_NOT_PROBED } from './disk-space';
import { PG_DTS_SCHEMA, type DestinationFacts, type SpaceFacts } from './types';

/** The replication-origin functions pg-dts calls (src/stream, src/apply); EXECUTE is grantable from 14 on. */
export const ORIGIN_FUNCTIONS = [
  'pg_replication_origin_create(text)',
  'pg_replication_origin_drop(text)',
  'pg_replication_origin_session_setup(text)',
  'pg_replication_origin_session_reset()',
  'pg_replication_origin_xact_setup(pg_lsn, timestamp with time zone)',
  'pg_replication_origin_progress(text, boolean)',
  'pg_replication_origin_advance(text, pg_lsn)',
];

/** `measureSpace`: run the disk-space probe (a full sync is wanted and the spec set precheck.diskSpaceProbe). */
export async function gatherDestinationFacts(db: ClientBase, targets: TableRef[], measureSpace: boolean): Promise<DestinationFacts> {
  const s = (
    await db.query(
      `SELECT current_setting('server_version_num')::int AS version, current_setting('server_encoding') AS encoding,
              current_user AS usr, current_database() AS db, r.rolsuper AS sup,
              has_database_privilege(current_database(), 'CREATE') AS create_db
         FROM pg_roles r WHERE r.rolname = current_user`,
    )
  ).rows[0];
  const versionNum: number = s.version;
  // Before 14 the origin functions check for superuser themselves; GRANT EXECUTE does not help there.
  const origins = await db.query<{ fn: string }>(
    `SELECT fn FROM unnest($1::text[]) AS fn WHERE NOT ($2 OR ($3 AND has_function_privilege(fn, 'EXECUTE')))`,
    [ORIGIN_FUNCTIONS, s.sup, versionNum >= 140000],
  );
  // session_replication_role is superuser-only before 15; from 15 on SET can be granted on it.
  const role = versionNum >= 150000
    ? (await db.query(`SELECT has_parameter_privilege('session_replication_role', 'SET') AS ok`)).rows[0].ok
    : s.sup;
  const schemaNames = [...new Set([...targets.map((t) => t.schema), PG_DTS_SCHEMA])];
  const schemas = await db.query<{ name: string; exists: boolean; can_create: boolean }>(
    `SELECT s.name, n.oid IS NOT NULL AS exists,
            coalesce(has_schema_privilege(n.oid, 'CREATE') AND has_schema_privilege(n.oid, 'USAGE'), false) AS can_create
       FROM unnest($1::text[]) WITH ORDINALITY AS s(name, ord) LEFT JOIN pg_namespace n ON n.nspname = s.name
      ORDER BY s.ord`,
    [schemaNames],
  );
  const existing = await db.query<TableRef>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY 1, 2`,
    [targets.map((t) => t.schema), targets.map((t) => t.name)],
  );
  const space: SpaceFacts = measureSpace ? await measureFreeSpace(db) : { measured: false, reason: SPACE_NOT_PROBED };
  return {
    versionNum,
    encoding: s.encoding,
    user: s.usr,
    database: s.db,
    isSuperuser: s.sup,
    canCreateInDatabase: s.create_db,
    schemas: schemas.rows.map((r) => ({ name: r.name, exists: r.exists, canCreate: r.can_create })),
    existingTargets: existing.rows,
    missingOriginFunctions: origins.rows.map((r) => r.fn),
    canSetReplicationRole: role,
    space,
  };
}
