// REPLICA IDENTITY FULL on the selected source tables for the task's lifetime (spec `replicaIdentity`):
// with it every UPDATE and DELETE carries the whole old row, which publication row filters need to judge
// the old row and which lets the applier recognise key changes and unchanged TOAST values exactly.
// What each table had before is recorded on the destination (pg-dts's own schema) BEFORE the source is
// changed, so a crash between the two loses nothing, and release puts it back.
// ALTER TABLE takes the table's ACCESS EXCLUSIVE lock: while it waits for one, every new reader of the
// table queues behind it. So each ALTER waits at most a short lock_timeout, and tries again a little later.
import type { ClientBase } from 'pg';
import type { TableRef } from '../catalog/names';
import { ident, qualified } from '../util/sql';
import { forgetIdentityUse, identityUsesOf, recordIdentityUse } from './replica-identity-users';

/** The table below, in `_pg_dts`: release drops it when no task uses it any more. */
export const REPLICA_IDENTITY_TABLE = 'replica_identity';

const SETUP = `
  CREATE SCHEMA IF NOT EXISTS _pg_dts;
  CREATE TABLE IF NOT EXISTS _pg_dts.replica_identity (
    task_id text NOT NULL, schema_name text NOT NULL, table_name text NOT NULL,
    previous "char" NOT NULL, index_name text, PRIMARY KEY (task_id, schema_name, table_name));`;

/** How pg-dts's ALTERs on the source wait for a table's lock (alterSourceTable). */
export interface SourceLockPolicy {
  /** lock_timeout of one try, in ms: the longest any reader of the table queues behind the ALTER. */
  lockTimeoutMs: number;
  /** Tries before giving up (the caller's retry — the activity's, Temporal's — then takes over). */
  tries: number;
  /** Pause before try n + 1 (n from 1), in ms: readers get the table back in between. */
  pauseMs: (tries: number) => number;
}

export const SOURCE_LOCK_POLICY: SourceLockPolicy = {
  lockTimeoutMs: 3_000,
  tries: 6,
  pauseMs: (n) => Math.min(8_000, 500 * 2 ** n) * (0.75 + Math.random() / 2),
};

const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Runs an ALTER TABLE on the source in a transaction of its own with `lock_timeout`, retried while the
 * lock is not available. The last failure says who holds the table.
 */
export async function alterSourceTable(source: ClientBase, table: TableRef, sql: string, policy: SourceLockPolicy = SOURCE_LOCK_POLICY): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await source.query('BEGIN');
      await source.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(policy.lockTimeoutMs))}`);
      await source.query(sql);
      await source.query('COMMIT');
      return;
    } catch (err) {
      await source.query('ROLLBACK').catch(() => undefined);
      if ((err as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw err;
      if (attempt >= policy.tries) throw await lockError(source, table, sql, policy, err);
      await new Promise((r) => setTimeout(r, policy.pauseMs(attempt)));
    }
  }
}

async function lockError(source: ClientBase, table: TableRef, sql: string, policy: SourceLockPolicy, cause: unknown): Promise<Error> {
  const holders = await source
    .query<{ pid: number; state: string | null; age: string | null }>(
      `SELECT DISTINCT l.pid, a.state, (now() - a.xact_start)::text AS age
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.relation = to_regclass($1) AND l.granted AND l.pid <> pg_backend_pid()
        ORDER BY l.pid`,
      [qualified(table)],
    )
    .then((r) => r.rows.map((h) => `pid ${h.pid}${h.state ? ` (${h.state}${h.age ? `, transaction open for ${h.age}` : ''})` : ''}`))
    .catch(() => []);
  const seconds = policy.lockTimeoutMs / 1000;
  const err = new Error(
    `${sql} on the source: the table's lock was not available within ${seconds} s in ${policy.tries} tries` +
      `${holders.length ? `; held by ${holders.join(', ')}` : ''}. It is tried again later; ending those transactions lets it through`,
    { cause },
  );
  return Object.assign(err, { code: LOCK_NOT_AVAILABLE });
}

interface IdentityRow {
  schema: string;
  name: string;
  identity: string;
  index_name: string | null;
}

/** Sets FULL where it is missing; returns the tables changed. Idempotent: a retry records nothing new. */
export async function setReplicaIdentityFull(
  source: ClientBase, destination: ClientBase, taskId: string, tables: TableRef[], policy: SourceLockPolicy = SOURCE_LOCK_POLICY,
): Promise<TableRef[]> {
  const { rows: all } = await source.query<IdentityRow>(
    // Partitions too: changes are decoded from the partition a row lives in, under that partition's
    // replica identity, whatever the partitioned table says (ALTER TABLE on it does not recurse).
    `WITH RECURSIVE tree AS (
       SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       UNION SELECT i.inhrelid FROM pg_inherits i JOIN tree t ON i.inhparent = t.oid)
     SELECT n.nspname AS schema, c.relname AS name, c.relreplident::text AS identity,
            (SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
              WHERE i.indrelid = c.oid AND i.indisreplident) AS index_name
       FROM tree JOIN pg_class c ON c.oid = tree.oid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p')`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  // On the source first, also for tables FULL already: whoever is released last puts the identity back.
  await recordIdentityUse(source, taskId, all.map((r) => ({ ref: { schema: r.schema, name: r.name }, identity: r.identity, indexName: r.index_name })));
  const rows = all.filter((r) => r.identity !== 'f');
  if (!rows.length) return [];
  await destination.query('BEGIN');
  try {
    await destination.query(`SELECT pg_advisory_xact_lock(hashtext('pg-dts progress store'))`);
    await destination.query(SETUP);
    await destination.query(
      `INSERT INTO _pg_dts.replica_identity SELECT $1, * FROM unnest($2::text[], $3::text[], $4::"char"[], $5::text[])
       ON CONFLICT DO NOTHING`,
      [taskId, rows.map((r) => r.schema), rows.map((r) => r.name), rows.map((r) => r.identity), rows.map((r) => r.index_name)],
    );
    await destination.query('COMMIT');
  } catch (err) {
    await destination.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  for (const r of rows) await alterSourceTable(source, r, `ALTER TABLE ${qualified(r)} REPLICA IDENTITY FULL`, policy);
  return rows.map((r) => ({ schema: r.schema, name: r.name }));
}

function identityClause(previous: string, indexName: string | null): string {
  switch (previous) {
    case 'n':
      return 'NOTHING';
    case 'i':
      return indexName ? `USING INDEX ${ident(indexName)}` : 'DEFAULT';
    default:
      return 'DEFAULT';
  }
}

/**
 * Puts back what the task changed, except on tables another publication still publishes (another task or
 * subscriber may rely on FULL: taking it away would make UPDATEs fail there). Returns what was restored.
 * A table whose lock stays unavailable (alterSourceTable) keeps its record, so a later release puts it
 * back; the others are done, then the first such failure is thrown.
 */
export async function restoreReplicaIdentity(
  source: ClientBase, destination: ClientBase, taskId: string, publication: string, policy: SourceLockPolicy = SOURCE_LOCK_POLICY,
): Promise<TableRef[]> {
  const exists = await destination.query(`SELECT to_regclass('_pg_dts.replica_identity') IS NOT NULL AS ok`);
  const { rows: own } = exists.rows[0].ok
    ? await destination.query<{ schema: string; name: string; previous: string; index_name: string | null }>(
      `SELECT schema_name AS schema, table_name AS name, previous, index_name FROM _pg_dts.replica_identity WHERE task_id = $1`,
      [taskId],
    )
    : { rows: [] };
  // The source's record (every task relying on the table) decides; the destination's is this task's own
  // (tasks started before the source kept one have only that).
  const uses = new Map((await identityUsesOf(source, taskId)).map((u) => [`${u.schema}.${u.name}`, u]));
  const recorded = new Map(own.map((r) => [`${r.schema}.${r.name}`, r]));
  const restored: TableRef[] = [];
  const left: TableRef[] = [];
  let firstLockError: Error | undefined;
  for (const key of new Set([...uses.keys(), ...recorded.keys()])) {
    const use = uses.get(key);
    const mine = recorded.get(key);
    const table = { schema: (use ?? mine)!.schema, name: (use ?? mine)!.name };
    const older = mine ? { identity: mine.previous, indexName: mine.index_name } : null;
    if (use && use.tasks.some((t) => t !== taskId)) {
      await forgetIdentityUse(source, taskId, table, older); // another task still relies on FULL
      continue;
    }
    const previous = use?.previous ?? mine?.previous ?? null;
    const indexName = use?.previous ? use.indexName : (mine?.index_name ?? null);
    const { rows: state } = await source.query<{ present: boolean; shared: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AS present,
              EXISTS (SELECT 1 FROM pg_publication_tables WHERE schemaname = $2 AND tablename = $3 AND pubname <> $4) AS shared`,
      [qualified(table), table.schema, table.name, publication],
    );
    if (previous !== null && state[0]!.present && !state[0]!.shared) {
      try {
        await alterSourceTable(source, table, `ALTER TABLE ${qualified(table)} REPLICA IDENTITY ${identityClause(previous, indexName)}`, policy);
        restored.push(table);
      } catch (err) {
        if ((err as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw err;
        firstLockError ??= err as Error;
        left.push(table);
        continue;
      }
    }
    if (use) await forgetIdentityUse(source, taskId, table, null);
  }
  if (!exists.rows[0].ok) {
    if (firstLockError) throw firstLockError;
    return restored;
  }
  await destination.query(
    `DELETE FROM _pg_dts.replica_identity WHERE task_id = $1
        AND (schema_name, table_name) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
    [taskId, left.map((t) => t.schema), left.map((t) => t.name)],
  );
  if (firstLockError) throw firstLockError;
  return restored;
}
