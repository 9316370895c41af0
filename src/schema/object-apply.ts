// Creating the planned views, routines, triggers, rules and policies on the destination: after the data and
// keys, in one transaction. Each object gets a savepoint; one that fails (a view over a view not made yet)
// is tried again after the others, until a round makes no progress. What still fails is reported, not
// hidden, and the rest is committed.
import type { Client, ClientConfig } from 'pg';
import { withClient } from '../conn/connect';
import type { Mapping, SelectedTable } from '../catalog/names';
import { ident } from '../util/sql';
import { planNonTableObjects, type NeededExtension, type NonTableObjectsPlan, type UnsupportedObject } from './non-table-objects';
import { SchemaStatementError } from './sync';

export interface ObjectsOutcome {
  created: number;
  /** Not created, with the reason (listed by the precheck too). */
  unsupported: UnsupportedObject[];
  /** Planned but refused by the destination: `name: error`. */
  failed: string[];
  /** Materialized views created WITH NO DATA. */
  notPopulated: string[];
  /** Entries left out of the lists above (each is cut at MAX_LISTED). */
  omitted?: number;
}

const MAX_LISTED = 200;

/** Reads the source's objects (search_path '' so every name in their definitions is schema-qualified). */
export async function planObjectsFromSource(source: ClientConfig, spec: Mapping, tables: SelectedTable[]): Promise<NonTableObjectsPlan> {
  return withClient(source, async (db) => {
    await db.query(`SET search_path = ''`);
    return planNonTableObjects(db, spec, tables);
  });
}

export async function createNonTableObjects(destination: Client, plan: NonTableObjectsPlan): Promise<ObjectsOutcome> {
  await destination.query('BEGIN');
  try {
    // Bodies are not validated at CREATE (pg_dump's way): a function may name a table or another function
    // created after it. The definitions are fully qualified, so the empty search path finds nothing else.
    await destination.query(`SELECT set_config('search_path', '', true), set_config('check_function_bodies', 'off', true)`);
    for (const ext of plan.extensions) await createExtension(destination, ext);
    let pending = plan.objects;
    const errors = new Map<string, string>();
    let created = 0;
    for (let progress = true; pending.length && progress;) {
      progress = false;
      const next: typeof pending = [];
      for (const object of pending) {
        await destination.query('SAVEPOINT dts_object');
        try {
          for (const sql of object.statements) await destination.query(sql);
          await destination.query('RELEASE SAVEPOINT dts_object');
          created++;
          progress = true;
        } catch (err) {
          await destination.query('ROLLBACK TO SAVEPOINT dts_object');
          errors.set(object.name, (err as Error).message);
          next.push(object);
        }
      }
      pending = next;
    }
    await destination.query('COMMIT');
    const failed = pending.map((o) => `${o.kind} ${o.name}: ${errors.get(o.name)}`);
    // The outcome travels through the workflow history (2 MB payload limit): long lists are cut, with a count.
    const omitted = Math.max(0, plan.unsupported.length - MAX_LISTED) + Math.max(0, failed.length - MAX_LISTED) + Math.max(0, plan.notPopulated.length - MAX_LISTED);
    return {
      created,
      unsupported: plan.unsupported.slice(0, MAX_LISTED),
      failed: failed.slice(0, MAX_LISTED),
      notPopulated: plan.notPopulated.slice(0, MAX_LISTED),
      ...(omitted ? { omitted } : {}),
    };
  } catch (err) {
    await destination.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * In the schema it has on the source (the definitions name its objects there); an extension whose control
 * file fixes its schema refuses SCHEMA, and is then created where it must be.
 */
async function createExtension(destination: Client, ext: NeededExtension): Promise<void> {
  const inSchema = `CREATE EXTENSION IF NOT EXISTS ${ident(ext.name)} SCHEMA ${ident(ext.schema)}`;
  const plain = `CREATE EXTENSION IF NOT EXISTS ${ident(ext.name)}`;
  await destination.query('SAVEPOINT dts_extension');
  try {
    await destination.query(`CREATE SCHEMA IF NOT EXISTS ${ident(ext.schema)}`);
    await destination.query(inSchema);
  } catch {
    await destination.query('ROLLBACK TO SAVEPOINT dts_extension');
    try {
      await destination.query(plain);
    } catch (err) {
      throw new SchemaStatementError(err as Error, `${inSchema} (and without SCHEMA)`);
    }
  }
  await destination.query('RELEASE SAVEPOINT dts_extension');
}
