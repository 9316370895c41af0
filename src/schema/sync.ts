// Schema sync: read the selected tables' definitions on the source, create them on the destination.
// Each half runs in one destination transaction, so a failure leaves nothing half-created.
import type { Client, ClientBase, ClientConfig } from 'pg';
import { connect, withClient } from '../conn/connect';
import type { TaskSpec } from '../spec/schema';
import { tableKey, type SelectedTable, type TableRef } from '../catalog/names';
import { readTableDef, type TableDef } from './introspect';
import { readUserTypes } from './user-types';
import { DdlGenerator, type SchemaPlan } from './ddl';
import { qualified } from '../util/sql';

/** Sessions reading table definitions at once: the reads are round-trip bound, so 1 000 tables take
 * a quarter of the time on four sessions even on a small server. */
const READ_SESSIONS = 4;

async function readTableDefs(source: ClientConfig, refs: TableRef[]): Promise<TableDef[]> {
  const defs: TableDef[] = new Array(refs.length);
  let next = 0;
  const reader = async (): Promise<void> => {
    const db = await connect(source);
    try {
      for (let i = next++; i < refs.length; i = next++) defs[i] = await readTableDef(db, refs[i]!);
    } finally {
      await db.end().catch(() => undefined);
    }
  };
  const sessions = Math.max(1, Math.min(READ_SESSIONS, Math.ceil(refs.length / 8)));
  await Promise.all(Array.from({ length: sessions }, reader));
  return defs;
}

export async function planSchema(source: ClientConfig, spec: TaskSpec, tables: SelectedTable[], deferKeys = false): Promise<SchemaPlan> {
  const defs = await readTableDefs(source, tables.map((t) => t.source));
  return withClient(source, async (db) => {
    await db.query(`SET search_path = ''`);
    const types = await readUserTypes(db, defs.flatMap((d) => d.columns.map((c) => c.typeOid)));
    // How the server prints each table as a regclass (schema-qualified under search_path ''), in one query.
    const names = defs.map((d) => qualified(d.ref));
    const { rows } = await db.query<{ name: string; text: string }>(`SELECT n AS name, n::regclass::text AS text FROM unnest($1::text[]) n`, [names]);
    const byName = new Map(rows.map((r) => [r.name, r.text]));
    const regclass = new Map(defs.map((d) => [tableKey(d.ref), byName.get(qualified(d.ref))!]));
    return new DdlGenerator(spec, defs, types, regclass, deferKeys).plan();
  });
}

export async function applyStatements(destination: Client, statements: string[]): Promise<void> {
  await destination.query('BEGIN');
  try {
    for (const sql of statements) {
      try {
        await destination.query(sql);
      } catch (err) {
        throw new Error(`destination rejected schema statement: ${(err as Error).message}\n  statement: ${sql}`);
      }
    }
    await destination.query('COMMIT');
  } catch (err) {
    await destination.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Index builds sort in memory up to this; the server default (64MB) spills big keys to disk. */
const INDEX_BUILD_MEMORY = '256MB';

/**
 * Runs independent groups of statements on up to `concurrency` destination sessions, each group in its own
 * transaction and in order. Index and key builds of different tables use different cores this way.
 */
export async function applyGroupsInParallel(destination: ClientConfig, groups: string[][], concurrency: number): Promise<void> {
  const queue = [...groups];
  const worker = async (): Promise<void> => {
    const db = await connect(destination);
    try {
      await db.query(`SET maintenance_work_mem = '${INDEX_BUILD_MEMORY}'`);
      for (let group = queue.shift(); group; group = queue.shift()) await applyStatements(db, group);
    } finally {
      await db.end().catch(() => undefined);
    }
  };
  const failures = (await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker))).filter(
    (r): r is PromiseRejectedResult => r.status === 'rejected',
  );
  if (failures.length) throw failures[0]!.reason;
}

/** Copies sequence positions (serial and identity), so the destination can take over writes. */
export async function syncSequenceValues(source: ClientBase, destination: ClientBase, tables: SelectedTable[]): Promise<number> {
  let count = 0;
  for (const t of tables) {
    const { rows } = await source.query(
      `SELECT a.attname AS column, pg_get_serial_sequence($1, a.attname) AS seq
         FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND pg_get_serial_sequence($1, a.attname) IS NOT NULL`,
      [qualified(t.source)],
    );
    for (const r of rows) {
      const state = await source.query(`SELECT last_value::text AS v, is_called FROM ${r.seq}`);
      const target = await destination.query(`SELECT pg_get_serial_sequence($1, $2) AS seq`, [qualified(t.target), r.column]);
      if (!target.rows[0]?.seq) continue;
      await destination.query(`SELECT setval($1::regclass, $2::bigint, $3)`, [target.rows[0].seq, state.rows[0].v, state.rows[0].is_called]);
      count++;
    }
  }
  return count;
}
