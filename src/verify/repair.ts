// `pg-dts verify --repair` on the servers (docs/verification.md, "Repair"). The source's rows of the
// differing keys are read and handed to the destination at ONE position of the source's history:
// - while the task streams, through the stream: in one source transaction the rows are read under row
//   locks (FOR SHARE: no change to them can commit between the read and this transaction's commit) and
//   written as a control row into the task's capture table, which the stream applies at its place
//   (src/apply/applier.ts). Keys with no source row have no row to lock: for those the table is locked in
//   SHARE mode for the rest of the (short) transaction and read again, so no insert of them can commit
//   in between either;
// - for a task that will never stream again, straight into the destination in one transaction.
import type { Client, ClientBase } from 'pg';
import { writeRepair } from '../apply/repair-write';
import { loadRelationTarget } from '../apply/relation-target';
import type { TableRef } from '../catalog/names';
import { ident, qualified } from '../util/sql';
import { keyText, parseRepair, type RepairRequest } from './repair-row';
import { currentLsnSql, keyOfText } from './sql';
import type { VerifyTable } from './types';

/** How long a repair waits for writers of a table to let go of it (keys absent on the source only). */
const TABLE_LOCK_TIMEOUT = '10s';

/** Values exactly as the server prints them (its output functions), as pgoutput delivers them to the stream. */
const rawText = { getTypeParser: () => (value: string) => value };

/**
 * The rows of `keys` (key text values, verification form) of one table: each key's image when its row
 * exists and passes the row filter. With `lock`, the rows found are locked FOR SHARE.
 */
async function readRows(db: ClientBase, t: VerifyTable, keys: string[][], lock: boolean): Promise<Map<string, (string | null)[]>> {
  const n = t.sourceKey.length;
  const lhs = t.sourceKey.map((k) => `t.${ident(k.name)}`).join(', ');
  const casts = t.sourceKey.map((k, i) => `v.a${i + 1}::${k.type}`).join(', ');
  const unnest = `unnest(${t.sourceKey.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS v(${t.sourceKey.map((_, i) => `a${i + 1}`).join(', ')})`;
  const columns = t.sourceColumns.map((c, i) => `t.${ident(c)} AS c${i}`).join(', ');
  const pass = t.where ? `coalesce((${t.where}), false)` : 'true';
  const sql = `SELECT ARRAY[${t.sourceKey.map((k) => `t.${ident(k.name)}::text`).join(', ')}] AS k, ${pass} AS pass${columns ? `, ${columns}` : ''}
                 FROM ${qualified(t.table.source)} t WHERE (${lhs}) IN (SELECT ${casts} FROM ${unnest})${lock ? ' FOR SHARE OF t' : ''}`;
  const values = Array.from({ length: n }, (_, i) => keys.map((k) => k[i]!));
  const { rows } = await db.query<Record<string, unknown>>({ text: sql, values, types: rawText });
  // A row left out by the task's row filter (boolean text 'f') is found and locked, but has no image: the
  // destination must not have it.
  return new Map(rows.map((r) => [keyText(keyOfText(r.k as string)), r.pass === 't' ? t.sourceColumns.map((_, i) => r[`c${i}`] as string | null) : []]));
}

/**
 * The control row's request from what was read: every key asked for (in its image's form, the source's
 * output text, when it has one) and an image per row that passes the row filter.
 */
function requestOf(t: VerifyTable, keys: string[][], found: Map<string, (string | null)[]>): RepairRequest {
  const keyIndexes = t.sourceKey.map((k) => t.sourceColumns.indexOf(k.name));
  const rows: (string | null)[][] = [];
  const listed = keys.map((k) => {
    const image = found.get(keyText(k));
    if (!image?.length) return k;
    rows.push(image);
    return keyIndexes.map((i) => image[i]!);
  });
  const checked = parseRepair({ repair: { table: t.table.source, keyColumns: t.sourceKey.map((k) => k.name), columns: t.sourceColumns, keys: listed, rows } });
  if (typeof checked === 'string') throw new Error(`repair of ${t.key}: ${checked}`);
  return checked;
}

const isLockTimeout = (err: unknown): boolean => (err as { code?: string }).code === '55P03';

/**
 * A repair that cannot run for this table, with what to do (nothing was written): writers kept the table
 * busy, or a single row is too big for a control row.
 */
export class RepairRefused extends Error {}

/** A control row's most: far below the stream's per-change limit (256 MB), which would stop the task. */
export const MAX_CONTROL_ROW_BYTES = 32 * 1024 * 1024;
const TOO_LARGE = Symbol('too large');

/**
 * Through the stream: reads `keys` under locks and records them in the task's capture table `log`, in one
 * source transaction. Returns the source's WAL position after the commit: once the task applied past it,
 * the destination holds these rows as the source had them.
 */
export async function recordRepair(
  source: ClientBase, t: VerifyTable, log: TableRef, keys: string[][], maxBytes = MAX_CONTROL_ROW_BYTES,
): Promise<{ lsn: string; images: number }> {
  const once = await recordOnce(source, t, log, keys, maxBytes);
  if (once !== TOO_LARGE) return once;
  // Big rows: fewer keys per control row, each half at its own source position (each one consistent).
  if (keys.length === 1) throw new RepairRefused(`a row of ${t.key} (key ${keys[0]!.join(', ')}) is over ${(maxBytes / 1024 / 1024).toFixed(0)} MB as a control row: copy the table again instead (remove it with pg-dts modify, then add it back)`);
  const half = Math.ceil(keys.length / 2);
  const first = await recordRepair(source, t, log, keys.slice(0, half), maxBytes);
  const second = await recordRepair(source, t, log, keys.slice(half), maxBytes);
  return { lsn: second.lsn, images: first.images + second.images };
}

async function recordOnce(source: ClientBase, t: VerifyTable, log: TableRef, keys: string[][], maxBytes: number): Promise<{ lsn: string; images: number } | typeof TOO_LARGE> {
  for (let attempt = 1; ; attempt++) {
    await source.query('BEGIN READ WRITE');
    try {
      const found = await readRows(source, t, keys, true);
      const absent = keys.filter((k) => !found.has(keyText(k)));
      if (absent.length) {
        // No row to lock: no change of this table may commit between this read and this commit.
        await source.query(`SET LOCAL lock_timeout = '${TABLE_LOCK_TIMEOUT}'`);
        await source.query(`LOCK TABLE ${qualified(t.table.source)} IN SHARE MODE`);
        for (const [k, row] of await readRows(source, t, absent, true)) found.set(k, row);
      }
      const request = requestOf(t, keys, found);
      const captured = JSON.stringify({ repair: request });
      if (Buffer.byteLength(captured) > maxBytes) {
        await source.query('ROLLBACK');
        return TOO_LARGE;
      }
      const { rows } = await source.query<{ id: string }>(`INSERT INTO ${qualified(log)} (captured) VALUES ($1) RETURNING id`, [captured]);
      // The stream decodes the insert from the WAL; the source keeps no copy of the rows.
      await source.query(`DELETE FROM ${qualified(log)} WHERE id = $1`, [rows[0]!.id]);
      await source.query('COMMIT');
      const lsn = (await source.query<{ lsn: string }>(currentLsnSql)).rows[0]!.lsn;
      return { lsn, images: request.rows.length };
    } catch (err) {
      await source.query('ROLLBACK').catch(() => undefined);
      if (isLockTimeout(err) && attempt < 3) continue;
      if (isLockTimeout(err)) throw new RepairRefused(`could not lock ${t.key} for ${TABLE_LOCK_TIMEOUT} (3 tries) to repair keys it does not have: writers kept it busy; run the repair again later`);
      throw err;
    }
  }
}

/**
 * For a task that will never stream again: reads the rows of `keys` and writes them on the destination in
 * one transaction (replica role: no trigger or FK check, as the stream writes).
 */
export async function repairDirectly(source: ClientBase, destination: Client, t: VerifyTable, keys: string[][]): Promise<{ images: number }> {
  const request = requestOf(t, keys, await readRows(source, t, keys, false));
  const columnMap = new Map(t.sourceColumns.map((c, i) => [c, t.targetColumns[i]!]));
  await destination.query('BEGIN READ WRITE');
  try {
    await destination.query('SET LOCAL session_replication_role = replica');
    const rel = await loadRelationTarget(destination, t.table.target, request.keyColumns, { dml: new Set(), columnMap });
    await writeRepair(destination, rel, request);
    await destination.query('COMMIT');
  } catch (err) {
    await destination.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return { images: request.rows.length };
}

/** Why repair through the stream cannot run on this source for `t`, with the fix; null when it can. */
export async function streamRepairBlocker(source: ClientBase, t: VerifyTable, log: TableRef): Promise<string | null> {
  const { rows } = await source.query<{ log: boolean; update: boolean; who: string }>(
    `SELECT to_regclass($1) IS NOT NULL AS log, has_table_privilege($2::regclass, 'UPDATE') AS update, current_user AS who`,
    [qualified(log), qualified(t.table.source)],
  );
  const r = rows[0]!;
  if (!r.log) {
    return 'the task does not capture DDL on its source (that needs a superuser on PostgreSQL 14 or later), and a repair travels through the capture table: ' +
      'copy the table again instead (remove it with pg-dts modify, then add it back)';
  }
  if (!r.update) {
    return `the task's source user ${r.who} lacks UPDATE on ${t.key}, which locking the rows being repaired needs (SELECT ... FOR SHARE): ` +
      `GRANT UPDATE ON ${qualified(t.table.source)} TO ${ident(r.who)}, then repair again`;
  }
  return null;
}
