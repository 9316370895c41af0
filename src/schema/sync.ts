// Schema sync: read the selected tables' definitions on the source, create them on the destination.
// Each half runs in one destination transaction, so a failure leaves nothing half-created.
import type { Client, ClientConfig } from 'pg';
import { connect, withClient } from '../conn/connect';
import { isIdentityMapping, tableKey, type Mapping, type SelectedTable, type TableRef } from '../catalog/names';
import { readTableDef, type TableDef } from './introspect';
import { readUserTypes } from './user-types';
import { DdlGenerator, type SchemaPlan } from './ddl';
import { loadColumnParser } from './column-map';
import { readSchemaSequences, wholeSchemas } from './sequences';
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

export async function planSchema(source: ClientConfig, spec: Mapping, tables: SelectedTable[], deferKeys = false): Promise<SchemaPlan> {
  // The parser (WebAssembly, ~18 MB in a worker) is needed only where columns are renamed or excluded.
  const mapsColumns = tables.some((t) => !isIdentityMapping(spec, t.source));
  const [defs] = await Promise.all([readTableDefs(source, tables.map((t) => t.source)), mapsColumns ? loadColumnParser() : undefined]);
  return withClient(source, async (db) => {
    await db.query(`SET search_path = ''`);
    const all = defs.flatMap((d) => [d, ...d.partitions]);
    const types = await readUserTypes(db, all.flatMap((d) => d.columns.map((c) => c.typeOid)));
    const standaloneSequences = await readSchemaSequences(db, wholeSchemas(spec));
    // How the server prints each table as a regclass (schema-qualified under search_path ''), in one query.
    const names = all.map((d) => qualified(d.ref));
    const { rows } = await db.query<{ name: string; text: string }>(`SELECT n AS name, n::regclass::text AS text FROM unnest($1::text[]) n`, [names]);
    const byName = new Map(rows.map((r) => [r.name, r.text]));
    const regclassText = new Map(all.map((d) => [tableKey(d.ref), byName.get(qualified(d.ref))!]));
    // Every source schema an object comes from, and the selected ones (even empty), with their comments.
    const schemaNames = new Set([
      ...spec.objects.map((o) => o.schema), ...all.map((d) => d.ref.schema), ...types.map((t) => t.ref.schema),
      ...standaloneSequences.map((q) => q.ref.schema),
      ...all.flatMap((d) => [...d.ownedSequences.map((o) => o.sequence.ref.schema), ...d.defaultSequences.map((q) => q.ref.schema)]),
    ]);
    const schemas = await db.query<{ name: string; comment: string | null }>(
      `SELECT nspname AS name, obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = ANY($1::text[]) ORDER BY nspname`,
      [[...schemaNames]],
    );
    return new DdlGenerator({ spec, tables: defs, types, standaloneSequences, schemas: schemas.rows, regclassText, deferKeys }).plan();
  });
}

/** SQLSTATE classes that a retry may get past: connection, transaction rollback, resources, operator intervention, system. */
const TRANSIENT_SQLSTATE = /^(08|40|53|57|58|XX)|^55P03$/;

/** A statement the destination refused; `permanent` when running it again cannot succeed (e.g. 42xxx). */
export class SchemaStatementError extends Error {
  readonly permanent: boolean;

  constructor(
    cause: Error & { code?: string },
    readonly statement: string,
  ) {
    super(`destination rejected schema statement: ${cause.message}${cause.code ? ` (SQLSTATE ${cause.code})` : ''}\n  statement: ${statement}`);
    this.permanent = typeof cause.code === 'string' && !TRANSIENT_SQLSTATE.test(cause.code);
  }
}

export async function applyStatements(destination: Client, statements: string[]): Promise<void> {
  await destination.query('BEGIN');
  try {
    for (const sql of statements) {
      try {
        await destination.query(sql);
      } catch (err) {
        throw new SchemaStatementError(err as Error, sql);
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

export { syncSequencePositions } from './sequences';
