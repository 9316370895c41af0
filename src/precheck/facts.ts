// Gathers what the precheck items judge. Only reads catalogs and settings: a precheck creates nothing.
import type { ClientBase } from 'pg';
import type { SelectedTable, TableRef } from '../catalog/names';

export interface SourceFacts {
  versionNum: number;
  walLevel: string;
  isSuperuser: boolean;
  canReplicate: boolean;
  freeSlots: number;
  freeWalSenders: number;
  /** Selected tables with neither a primary key nor a usable unique index. */
  tablesWithoutKey: TableRef[];
}

export interface DestinationFacts {
  versionNum: number;
  canUseOrigins: boolean;
  existingTargets: TableRef[];
}

async function one<T>(db: ClientBase, sql: string, params: unknown[] = []): Promise<T> {
  const { rows } = await db.query(sql, params);
  return rows[0] as T;
}

export async function gatherSourceFacts(db: ClientBase, tables: SelectedTable[], taskSlot: string): Promise<SourceFacts> {
  const s = await one<{ v: string; wal: string; sup: boolean; repl: boolean }>(
    db,
    `SELECT current_setting('server_version_num') AS v, current_setting('wal_level') AS wal,
            r.rolsuper AS sup, r.rolreplication AS repl FROM pg_roles r WHERE r.rolname = current_user`,
  );
  // This task's own slot (a restarted precheck) does not count against the free slots.
  const slots = await one<{ free: number; senders: number }>(
    db,
    `SELECT current_setting('max_replication_slots')::int
              - (SELECT count(*) FROM pg_replication_slots WHERE slot_name <> $1)::int AS free,
            current_setting('max_wal_senders')::int
              - (SELECT count(*) FROM pg_stat_replication)::int AS senders`,
    [taskSlot],
  );
  const keyless = await db.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
        AND NOT EXISTS (
          SELECT 1 FROM pg_index i
           WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
             AND i.indexprs IS NULL
             AND (i.indisprimary OR NOT EXISTS (
                   SELECT 1 FROM unnest(i.indkey) k JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k
                    WHERE NOT a.attnotnull)))
      ORDER BY 1, 2`,
    [tables.map((t) => t.source.schema), tables.map((t) => t.source.name)],
  );
  return {
    versionNum: Number(s.v),
    walLevel: s.wal,
    isSuperuser: s.sup,
    canReplicate: s.sup || s.repl,
    freeSlots: slots.free,
    freeWalSenders: slots.senders,
    tablesWithoutKey: keyless.rows,
  };
}

export async function gatherDestinationFacts(db: ClientBase, tables: SelectedTable[]): Promise<DestinationFacts> {
  const s = await one<{ v: string; origins: boolean }>(
    db,
    `SELECT current_setting('server_version_num') AS v,
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
              OR has_function_privilege('pg_replication_origin_session_setup(text)', 'execute') AS origins`,
  );
  const existing = await db.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') 
        AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY 1, 2`,
    [tables.map((t) => t.target.schema), tables.map((t) => t.target.name)],
  );
  return { versionNum: Number(s.v), canUseOrigins: s.origins, existingTargets: existing.rows };
}
