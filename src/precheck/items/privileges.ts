// What the two users may do. Source: replicate, create the publication, own the published tables (only
// an owner may add a table to a publication or change its REPLICA IDENTITY), read the tables.
// Destination: create schemas/tables, use replication origins, run with session_replication_role.
import { PG_DTS_SCHEMA } from '../facts/types';
import { major, names, pass, problem, tableList, wants, type CheckItem } from './check';

export const sourceReplication: CheckItem = (input) => {
  if (!wants(input, 'incremental')) return null;
  const { canReplicate, user } = input.source;
  return canReplicate
    ? pass('source-replication-privilege', 'fail', `source user ${user} may replicate`)
    : problem('source-replication-privilege', 'fail', `the source user ${user} has neither REPLICATION nor SUPERUSER`,
        `run ALTER ROLE ${user} REPLICATION on the source (and allow it a "replication" line in pg_hba.conf)`);
};

export const sourceCreate: CheckItem = (input) => {
  if (!wants(input, 'incremental')) return null;
  const { canCreateInDatabase, user, database } = input.source;
  return canCreateInDatabase
    ? pass('source-create-privilege', 'fail', `source user ${user} may create the task's publication in ${database}`)
    : problem('source-create-privilege', 'fail', `the source user ${user} lacks CREATE on database ${database}, which CREATE PUBLICATION needs`,
        `run GRANT CREATE ON DATABASE ${database} TO ${user} on the source`);
};

export const sourceOwnership: CheckItem = (input) => {
  if (!wants(input, 'incremental')) return null;
  const { tables, user } = input.source;
  const notOwned = tables.filter((t) => !t.owned).map((t) => t.ref);
  return notOwned.length === 0
    ? pass('source-table-ownership', 'fail', `source user ${user} owns (or is superuser for) every selected table`)
    : problem('source-table-ownership', 'fail',
        `the source user ${user} does not own ${tableList(notOwned)}: adding a table to a publication and changing its REPLICA IDENTITY need its owner`,
        `make ${user} a member of each table's owner role (GRANT <owner> TO ${user}), change the owner (ALTER TABLE ... OWNER TO ${user}), or connect as a superuser`);
};

export const sourceSelect: CheckItem = (input) => {
  if (!wants(input, 'full')) return null;
  const { tables, user } = input.source;
  const denied = tables.filter((t) => !t.canSelect).map((t) => t.ref);
  return denied.length === 0
    ? pass('source-select-privilege', 'fail', `source user ${user} may read every selected table`)
    : problem('source-select-privilege', 'fail', `the source user ${user} may not read ${tableList(denied)} (SELECT on the table and USAGE on its schema)`,
        `run GRANT USAGE ON SCHEMA <schema> TO ${user} and GRANT SELECT ON <table> TO ${user} on the source (or GRANT pg_read_all_data, PostgreSQL 14+)`);
};

/**
 * CREATE on the destination: with schema sync, CREATE on every existing target schema and on the database
 * for the schemas still to be made; with full or incremental sync, pg-dts's own schema `_pg_dts` (progress,
 * replica identity bookkeeping), likewise.
 */
export const destinationCreate: CheckItem = (input) => {
  const { destination } = input;
  const needed = new Set<string>();
  if (wants(input, 'schema')) for (const t of input.selection.tables) needed.add(t.target.schema);
  if (wants(input, 'full') || wants(input, 'incremental')) needed.add(PG_DTS_SCHEMA);
  if (!needed.size) return null;
  const schemas = destination.schemas.filter((s) => needed.has(s.name));
  const toCreate = schemas.filter((s) => !s.exists).map((s) => s.name);
  const denied = schemas.filter((s) => s.exists && !s.canCreate).map((s) => s.name);
  const problems: string[] = [];
  const fixes: string[] = [];
  if (toCreate.length && !destination.canCreateInDatabase) {
    problems.push(`may not create schemas ${names(toCreate)} (no CREATE on database ${destination.database})`);
    fixes.push(`GRANT CREATE ON DATABASE ${destination.database} TO ${destination.user}`);
  }
  if (denied.length) {
    problems.push(`may not create objects in schemas ${names(denied)} (no CREATE or USAGE on them)`);
    fixes.push(`GRANT USAGE, CREATE ON SCHEMA <schema> TO ${destination.user} for each of them`);
  }
  return problems.length === 0
    ? pass('destination-create-privilege', 'fail', `destination user ${destination.user} may create what the task needs in ${names([...needed])}`)
    : problem('destination-create-privilege', 'fail', `the destination user ${destination.user} ${problems.join('; ')}`,
        `on the destination run ${fixes.join(' and ')}, or connect as a user that owns them`);
};

export const destinationOrigins: CheckItem = (input) => {
  if (!wants(input, 'incremental')) return null;
  const { missingOriginFunctions: missing, user, versionNum } = input.destination;
  if (missing.length === 0) return pass('destination-origin-privilege', 'fail', `destination user ${user} may use replication origins (exactly-once apply)`);
  const fix = major(versionNum) >= 14
    ? `on the destination run ${missing.map((f) => `GRANT EXECUTE ON FUNCTION ${f} TO ${user};`).join(' ')} or connect as a superuser`
    : `connect to the destination as a superuser: before PostgreSQL 14 replication origins are superuser-only`;
  return problem('destination-origin-privilege', 'fail',
    `the destination user ${user} may not execute ${names(missing)}, which exactly-once apply needs`, fix);
};

export const destinationReplicationRole: CheckItem = (input) => {
  if (!wants(input, 'full') && !wants(input, 'incremental')) return null;
  const { canSetReplicationRole, user, versionNum } = input.destination;
  if (canSetReplicationRole) return pass('destination-replication-role', 'fail', `destination user ${user} may set session_replication_role (FK checks and triggers off while applying)`);
  const fix = major(versionNum) >= 15
    ? `on the destination run GRANT SET ON PARAMETER session_replication_role TO ${user}, or connect as a superuser`
    : `connect to the destination as a superuser: before PostgreSQL 15 session_replication_role is superuser-only`;
  return problem('destination-replication-role', 'fail',
    `the destination user ${user} may not SET session_replication_role, which writing replicated rows needs (FK checks and triggers off)`, fix);
};
