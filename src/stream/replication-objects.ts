// The objects a task owns: a publication and a logical slot on the source, a replication origin on the
// destination. Creation is idempotent; dropping is total (release must leave nothing that holds WAL).
import { Client, type ClientBase, type ClientConfig } from 'pg';
import { rowFilterOf, type Mapping, type SelectedTable, type TableRef } from '../catalog/names';
import { ident, literal, qualified } from '../util/sql';
import { partitionTreeSql } from '../catalog/partition-sql';

/** A table as the publication lists it: the source table and its row filter (PostgreSQL 15+). */
export interface PublishedTable {
  source: TableRef;
  where?: string;
}

/**
 * Creates or re-targets the task's publication. Partitions publish through their root (PostgreSQL 13+),
 * so a partitioned table replicates under its own name, whatever partition a row lives in. A row filter
 * is the server's own: pgoutput applies the pre-image rule (an update leaving the filter is sent as a
 * delete, one entering it as an insert), with exactly the rows the full sync's `WHERE` copied.
 */
export async function ensurePublication(db: ClientBase, publication: string, selected: PublishedTable[]): Promise<void> {
  const version = Number((await db.query('SHOW server_version_num')).rows[0].server_version_num);
  const tables = version < 130000 ? await leavesOf(db, selected) : selected;
  const exists = await db.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
  if (exists.rowCount) {
    // The task's own helper tables (its DDL capture table) stay in the publication through every SET: a
    // moment without them would let a DDL pass unrecorded.
    const own = await db.query<{ schema: string; name: string }>(
      `SELECT schemaname AS schema, tablename AS name FROM pg_publication_tables WHERE pubname = $1 AND schemaname = '_pg_dts'`, [publication]);
    const all = [...tables, ...own.rows.map((r) => ({ source: r }))];
    await db.query(`ALTER PUBLICATION ${ident(publication)} SET ${publicationItems(all, version)}`);
  } else {
    const viaRoot = version >= 130000 ? ' WITH (publish_via_partition_root = true)' : '';
    await db.query(`CREATE PUBLICATION ${ident(publication)} FOR ${publicationItems(tables, version)}${viaRoot}`);
  }
}

/**
 * Before 13 a partitioned table cannot be published: its leaf partitions are, and the stream maps their
 * changes back to the partitioned table's rules (the applier's partition-root lookup).
 */
async function leavesOf(db: ClientBase, tables: PublishedTable[]): Promise<PublishedTable[]> {
  const out: PublishedTable[] = [];
  for (const t of tables) {
    const { rows } = await db.query<{ schema: string; name: string; isleaf: boolean }>(
      `SELECT n.nspname AS schema, c.relname AS name, t.isleaf FROM ${partitionTreeSql('to_regclass($1)')} t
         JOIN pg_catalog.pg_class c ON c.oid = t.relid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace`,
      [qualified(t.source)]);
    if (!rows.length) out.push(t); // not partitioned
    else out.push(...rows.filter((r) => r.isleaf).map((r) => ({ source: { schema: r.schema, name: r.name }, where: t.where })));
  }
  return out;
}

/** `TABLE a WHERE (…), TABLE b` (15+); before 15 one TABLE keyword for the whole list, and no row filters. */
function publicationItems(tables: PublishedTable[], version: number): string {
  if (version < 150000) return `TABLE ${tables.map((t) => qualified(t.source)).join(', ')}`;
  return tables.map((t) => `TABLE ${qualified(t.source)}${t.where ? ` WHERE (${t.where})` : ''}`).join(', ');
}

/** The selected tables with the row filters the spec gives them. */
export function publishedTables(spec: Mapping, tables: SelectedTable[]): PublishedTable[] {
  return tables.map((t) => ({ source: t.source, where: rowFilterOf(spec, t.source) }));
}

export async function slotExists(db: ClientBase, slot: string): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  return (r.rowCount ?? 0) > 0;
}

/** The source's WAL position and the WAL the slot keeps (current position - restart_lsn; null without the slot). */
export async function slotRetention(db: ClientBase, slot: string): Promise<{ sourceLsn: string; retainedWalBytes: number | null }> {
  const r = await db.query<{ lsn: string; retained: string | null }>(
    `SELECT pg_current_wal_lsn()::text AS lsn,
            (SELECT (pg_current_wal_lsn() - restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = $1)::text AS retained`,
    [slot],
  );
  const row = r.rows[0]!;
  return { sourceLsn: row.lsn, retainedWalBytes: row.retained === null ? null : Number(row.retained) };
}

/** Drops the slot, first ending any walsender still streaming from it (e.g. a stale worker's). */
export async function dropSlotIfExists(db: ClientBase, slot: string): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const r = await db.query<{ pid: number | null }>('SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    if (!r.rows[0]) return false;
    if (r.rows[0].pid) {
      await db.query('SELECT pg_terminate_backend($1)', [r.rows[0].pid]);
      await new Promise((res) => setTimeout(res, 250));
      continue;
    }
    try {
      await db.query('SELECT pg_drop_replication_slot($1)', [slot]);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code !== '55006') throw err; // 55006: slot became active again; retry
    }
  }
  throw new Error(`replication slot ${slot} stays active; stop the process streaming from it and release again`);
}

export async function dropPublicationIfExists(db: ClientBase, publication: string): Promise<void> {
  await db.query(`DROP PUBLICATION IF EXISTS ${ident(publication)}`);
}

export interface CreatedSlot {
  consistentPoint: string;
  /** Valid only while `connection` stays open and idle. */
  snapshotName: string;
  connection: Client;
}

/** Creates the slot on a replication connection and exports the snapshot of its consistent point. */
export async function createSlotWithSnapshot(config: ClientConfig, slot: string): Promise<CreatedSlot> {
  const connection = new Client({ ...config, replication: 'database' } as ClientConfig);
  connection.on('error', () => undefined);
  await connection.connect();
  try {
    const version = Number((await connection.query('SHOW server_version_num')).rows[0].server_version_num);
    // 17+: a failover slot is kept in sync on standbys (sync_replication_slots), so a promoted standby
    // still has it and the task goes on; before 17 a failover loses the slot (the precheck warns).
    const options = version >= 170000 ? ` (SNAPSHOT 'export', FAILOVER true)` : ' EXPORT_SNAPSHOT';
    const r = await connection.query(`CREATE_REPLICATION_SLOT ${ident(slot)} LOGICAL pgoutput${options}`);
    return { consistentPoint: r.rows[0].consistent_point, snapshotName: r.rows[0].snapshot_name, connection };
  } catch (err) {
    await connection.end().catch(() => undefined);
    throw err;
  }
}

export async function createSlot(db: ClientBase, slot: string): Promise<string> {
  const version = Number((await db.query('SHOW server_version_num')).rows[0].server_version_num);
  const failover = version >= 170000 ? ', false, false, true' : ''; // temporary, two-phase, failover (see createSlotWithSnapshot)
  const r = await db.query(`SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput'${failover})`, [slot]);
  return r.rows[0].lsn;
}

export async function ensureOrigin(db: ClientBase, origin: string): Promise<void> {
  await db.query(
    `SELECT pg_replication_origin_create($1) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_origin WHERE roname = $1)`,
    [origin],
  );
}

export async function dropOriginIfExists(db: ClientBase, origin: string): Promise<void> {
  const r = await db.query('SELECT 1 FROM pg_replication_origin WHERE roname = $1', [origin]);
  if (r.rowCount) await db.query(`SELECT pg_replication_origin_drop(${literal(origin)})`);
}

/** The source commit LSN up to which the destination has durably applied changes, or null if none. */
export async function originProgress(db: ClientBase, origin: string): Promise<string | null> {
  const r = await db.query(`SELECT pg_replication_origin_progress($1, true)::text AS lsn`, [origin]);
  const lsn = r.rows[0]?.lsn as string | null;
  return lsn && lsn !== '0/0' ? lsn : null;
}

/**
 * A new stream attempt takes over from a previous one of the same task that has not noticed its worker
 * died (its walsender still holds the slot, its destination session still holds the origin). Temporal
 * runs one attempt at a time, so whatever is still attached under this task's name is stale.
 */
export async function evictStaleSessions(source: ClientBase, destination: ClientBase, slot: string, applicationName: string): Promise<number> {
  const src = await source.query(
    `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`,
    [slot],
  );
  const dst = await destination.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
    [applicationName],
  );
  return (src.rowCount ?? 0) + (dst.rowCount ?? 0);
}
