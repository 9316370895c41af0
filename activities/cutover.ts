// The cutover's side effects (workflows/cutover.ts orders them): freezing the source's selected tables,
// waiting for the destination to apply up to the source's position, and the row-count check.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ClientBase } from 'pg';
import { rowFilterOf, tableOperations, type SelectedTable } from '../src/catalog/names';
import { withClient } from '../src/conn/connect';
import { markOwnDdl } from '../src/ddl/capture';
import type { FrozenGrant, TableCount } from '../src/cutover/types';
import { qualified } from '../src/util/sql';
import { originProgress } from '../src/stream/replication-objects';
import { parseLsn } from '../src/util/lsn';
import { taskContext, type TaskInput } from './context';
import { partitionTreeSql } from '../src/catalog/partition-sql';

interface CutoverInput extends TaskInput {
  tables: SelectedTable[];
}

const FROZEN = '_pg_dts.frozen_grants';
const WRITES = ['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'];

async function inTx<T>(db: ClientBase, fn: () => Promise<T>): Promise<T> {
  await db.query('BEGIN');
  try {
    const r = await fn();
    await db.query('COMMIT');
    return r;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The selected tables and their partitions (written directly, a partition takes rows too). */
const TREE = `SELECT t.relid FROM unnest($1::text[]) r(name), LATERAL ${partitionTreeSql('to_regclass(r.name)')} t
  UNION SELECT to_regclass(r.name) FROM unnest($1::text[]) r(name) WHERE to_regclass(r.name) IS NOT NULL`;

/**
 * Makes the selected tables read-only for every role that is not a superuser: their INSERT, UPDATE, DELETE
 * and TRUNCATE privileges (PUBLIC's too, the owner's included) are revoked and recorded in
 * `_pg_dts.frozen_grants` on the source in the same transaction (a retried attempt finds them recorded).
 * Then it waits (lock_timeout 30 s) for transactions already writing to those tables to end, so nothing
 * commits on them after the position the cutover waits for. Refused (nothing changed) when a role would keep
 * writing anyway: pg_write_all_data, or grants this session cannot revoke.
 */
export async function freezeSource(input: CutoverInput): Promise<FrozenGrant[]> {
  const ctx = taskContext(input);
  const names = input.tables.map((t) => qualified(t.source));
  return withClient(ctx.source, async (db) => {
    await markOwnDdl(db); // the task's DDL capture leaves our own REVOKE/GRANT alone
    const grants = await inTx(db, async () => {
      await db.query(`CREATE SCHEMA IF NOT EXISTS _pg_dts`);
      await db.query(`CREATE TABLE IF NOT EXISTS ${FROZEN} (task_id text NOT NULL, table_name text NOT NULL, grantee text NOT NULL,
        privilege text NOT NULL, grantable boolean NOT NULL, frozen_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (task_id, table_name, grantee, privilege))`);
      const { rows } = await db.query<{ table_name: string; grantee: string; privilege: string; grantable: boolean }>(
        `SELECT c.oid::regclass::text AS table_name,
                CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
           FROM pg_class c, LATERAL aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
           LEFT JOIN pg_roles r ON r.oid = a.grantee
          WHERE c.oid IN (${TREE}) AND a.privilege_type = ANY($2) AND (a.grantee = 0 OR NOT r.rolsuper)
          ORDER BY 1, 2, 3`,
        [names, WRITES],
      );
      for (const g of rows) {
        await db.query(`INSERT INTO ${FROZEN} (task_id, table_name, grantee, privilege, grantable) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [input.taskId, g.table_name, g.grantee, g.privilege, g.grantable]);
        await db.query(`REVOKE ${g.privilege} ON ${g.table_name} FROM ${g.grantee} CASCADE`);
      }
      // Whoever may still write (pg_write_all_data, a grant made by another grantor) makes the freeze a lie.
      const left = await db.query<{ who: string }>(
        `SELECT r.rolname || ' on ' || c.oid::regclass::text AS who FROM pg_class c, pg_roles r
          WHERE c.oid IN (${TREE}) AND NOT r.rolsuper AND r.rolcanlogin
            AND has_table_privilege(r.oid, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') LIMIT 10`,
        [names],
      );
      if (left.rowCount) {
        throw ApplicationFailure.nonRetryable(`cannot freeze the source: these roles could still write: ${left.rows.map((r) => r.who).join(', ')}`, 'FreezeIncomplete');
      }
      const all = await db.query<{ table_name: string; grantee: string; privilege: string; grantable: boolean }>(
        `SELECT table_name, grantee, privilege, grantable FROM ${FROZEN} WHERE task_id = $1 ORDER BY 1, 2, 3`, [input.taskId]);
      return all.rows.map((r) => ({ table: r.table_name, grantee: r.grantee, privilege: r.privilege, grantable: r.grantable }));
    });
    // Writers that passed their privilege check before the REVOKE hold ROW EXCLUSIVE: SHARE waits for them.
    await inTx(db, async () => {
      await db.query(`SET LOCAL lock_timeout = '30s'`);
      const { rows } = await db.query<{ t: string }>(`SELECT relid::regclass::text AS t FROM (${TREE}) x`, [names]);
      if (rows.length) await db.query(`LOCK TABLE ${rows.map((r) => r.t).join(', ')} IN SHARE MODE`);
    }).catch((err: Error) => {
      throw ApplicationFailure.nonRetryable(`transactions writing to the selected tables did not end within 30 s: ${err.message}`, 'FreezeTimeout');
    });
    return grants;
  });
}

/** Puts back what freezeSource revoked for this task (after a refused cutover). Idempotent. */
export async function unfreezeSource(input: TaskInput): Promise<number> {
  const ctx = taskContext(input);
  return withClient(ctx.source, async (db) => {
    const exists = await db.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [FROZEN]);
    if (!exists.rows[0].ok) return 0;
    await markOwnDdl(db);
    return inTx(db, async () => {
      const { rows } = await db.query(`DELETE FROM ${FROZEN} WHERE task_id = $1 RETURNING table_name, grantee, privilege, grantable`, [input.taskId]);
      for (const g of rows) {
        if ((await db.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [g.table_name])).rows[0].ok) {
          await db.query(`GRANT ${g.privilege} ON ${g.table_name} TO ${g.grantee}${g.grantable ? ' WITH GRANT OPTION' : ''}`);
        }
      }
      return rows.length;
    });
  });
}

/**
 * Takes the source's pg_current_wal_lsn() and waits until the task has applied everything before it: the
 * destination's origin progress (the end of the last source commit applied, stamped in the same
 * destination transaction) or the slot's confirmed position (which the source heartbeat moves while the
 * selected tables are idle). The origin is read first: the slot confirms only after a batch's COMMIT has
 * returned and the stream's next feedback, so under throttling it trails what is already applied.
 */
export async function waitForApplied(input: TaskInput & { waitSeconds: number }): Promise<{ targetLsn: string; confirmedLsn: string }> {
  const ctx = taskContext(input);
  const activity = Context.current();
  return withClient(ctx.source, (src) => withClient(ctx.destination, async (dst) => {
    const targetLsn: string = (await src.query(`SELECT pg_current_wal_lsn()::text AS l`)).rows[0].l;
    const deadline = Date.now() + input.waitSeconds * 1000;
    for (;;) {
      const applied = await originProgress(dst, ctx.origin);
      if (applied && parseLsn(applied) >= parseLsn(targetLsn)) return { targetLsn, confirmedLsn: applied };
      const { rows } = await src.query(`SELECT confirmed_flush_lsn::text AS l FROM pg_replication_slots WHERE slot_name = $1`, [ctx.slot]);
      const confirmedLsn: string | null = rows[0]?.l ?? null;
      if (confirmedLsn && parseLsn(confirmedLsn) >= parseLsn(targetLsn)) return { targetLsn, confirmedLsn };
      if (Date.now() > deadline) {
        throw ApplicationFailure.nonRetryable(
          `the destination did not apply up to the source's ${targetLsn} within ${input.waitSeconds} s (applied: ${applied ?? 'nothing'}, slot confirmed: ${confirmedLsn ?? 'no slot'})`, 'CutoverTimeout');
      }
      activity.heartbeat();
      await activity.sleep(200);
    }
  }));
}

async function count(db: ClientBase, table: string, where?: string): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::text AS n FROM ${table}${where ? ` WHERE (${where})` : ''}`);
  return Number(rows[0].n);
}

/** Row counts per table on both sides (the source's through the table's row filter). */
export async function countRows(input: CutoverInput): Promise<{ ok: boolean; tables: TableCount[] }> {
  const ctx = taskContext(input);
  return withClient(ctx.source, (src) => withClient(ctx.destination, async (dst) => {
    const tables: TableCount[] = [];
    for (const t of input.tables) {
      const dml = tableOperations(input.spec, t.source).dml;
      const skipped = dml.has('delete') && dml.has('truncate') && dml.has('insert') ? undefined : 'not every insert, delete and truncate is replicated (dml)';
      tables.push({
        table: `${t.source.schema}.${t.source.name}`, target: `${t.target.schema}.${t.target.name}`,
        source: await count(src, qualified(t.source), rowFilterOf(input.spec, t.source)), destination: await count(dst, qualified(t.target)),
        ...(skipped ? { skipped } : {}),
      });
      activity().heartbeat();
    }
    return { ok: tables.every((t) => t.skipped || t.source === t.destination), tables };
  }));
}

const activity = (): Context => Context.current();
