// Server-level facts of the source: version, settings, the user's role attributes, free replication
// resources, standbys and old transactions. Reads only.
import type { ClientBase } from 'pg';
import type { OpenTransaction, SourceFacts } from './types';

/** The server-level part of the source's facts (the rest is about the selected tables). */
export type SourceServerFacts = Pick<SourceFacts,
  | 'versionNum' | 'walLevel' | 'encoding' | 'user' | 'database' | 'isSuperuser' | 'canReplicate' | 'canCreateInDatabase'
  | 'freeSlots' | 'freeWalSenders' | 'synchronizedStandbySlots' | 'standbys' | 'seesAllSessions'>;

export async function gatherSourceServer(db: ClientBase, taskSlot: string): Promise<SourceServerFacts> {
  // This task's own slot (a precheck run again after the slot was made) does not count against the
  // free slots; walsenders are counted from pg_stat_replication, which lists every walsender.
  const { rows } = await db.query(
    `SELECT current_setting('server_version_num')::int AS version, current_setting('wal_level') AS wal,
            current_setting('server_encoding') AS encoding, current_user AS usr, current_database() AS db,
            r.rolsuper AS sup, r.rolsuper OR r.rolreplication AS repl,
            has_database_privilege(current_database(), 'CREATE') AS create_db,
            current_setting('max_replication_slots')::int
              - (SELECT count(*) FROM pg_replication_slots WHERE slot_name <> $1)::int AS free_slots,
            current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_replication)::int AS free_senders,
            current_setting('synchronized_standby_slots', true) AS sync_standby_slots,
            (SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'physical')::int
              -- Physical walsenders are the ones not connected to a database (a logical one, e.g. another task
              -- holding an exported snapshot, has its database and may have no active slot).
              + (SELECT count(*) FROM pg_stat_replication w JOIN pg_stat_activity a ON a.pid = w.pid
                  WHERE a.datname IS NULL
                    AND NOT EXISTS (SELECT 1 FROM pg_replication_slots s WHERE s.active_pid = w.pid))::int AS standbys,
            r.rolsuper OR pg_has_role('pg_read_all_stats', 'MEMBER') AS sees_all
       FROM pg_roles r WHERE r.rolname = current_user`,
    [taskSlot],
  );
  const r = rows[0];
  return {
    versionNum: r.version,
    walLevel: r.wal,
    encoding: r.encoding,
    user: r.usr,
    database: r.db,
    isSuperuser: r.sup,
    canReplicate: r.repl,
    canCreateInDatabase: r.create_db,
    freeSlots: r.free_slots,
    freeWalSenders: r.free_senders,
    // The setting exists from 17 on; before that there is no way to keep a logical slot over a failover.
    synchronizedStandbySlots: r.version >= 170000 ? (r.sync_standby_slots ?? '') : null,
    standbys: r.standbys,
    seesAllSessions: r.sees_all,
  };
}

/**
 * Transactions older than `seconds` that hold an xid, and old prepared transactions: creating a logical
 * slot waits until every transaction with an xid that was running when it started has ended. Read-only
 * transactions (no xid) do not hold it up and are left out. No query text: it may hold data.
 */
export async function gatherLongTransactions(db: ClientBase, seconds: number): Promise<OpenTransaction[]> {
  const { rows } = await db.query(
    `(SELECT pid, extract(epoch FROM now() - xact_start)::float8 AS age, datname AS database, usename AS usr,
             coalesce(state, 'unknown') AS state
        FROM pg_stat_activity
       WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND xact_start < now() - make_interval(secs => $1)
       ORDER BY xact_start LIMIT 50)
     UNION ALL
     (SELECT NULL, extract(epoch FROM now() - prepared)::float8, database, owner::text, 'prepared ' || gid
        FROM pg_prepared_xacts WHERE prepared < now() - make_interval(secs => $1)
       ORDER BY prepared LIMIT 50)`,
    [seconds],
  );
  return rows.map((r) => ({ pid: r.pid, ageSeconds: Math.round(r.age), database: r.database, user: r.usr, state: r.state }));
}
