// Facts for the non-table-objects items: what schema sync will not create of the selection's views,
// routines, triggers, rules and policies (the same plan finishSchema follows), and on the destination the
// extensions those objects need.
import type { ClientBase } from 'pg';
import type { Mapping, SelectedTable } from '../../catalog/names';
import { planNonTableObjects, type NeededExtension, type UnsupportedObject } from '../../schema/non-table-objects';

export interface NonTableObjectFacts {
  unsupported: UnsupportedObject[];
  /** Materialized views schema sync creates WITH NO DATA. */
  notPopulated: string[];
  extensions: NeededExtension[];
}

export interface ObjectExtensionFacts {
  name: string;
  installed: boolean;
  /** In pg_available_extensions. */
  available: boolean;
  /** Marked trusted (PostgreSQL 13+): a non-superuser with CREATE on the database may create it. */
  trusted: boolean;
}

export async function gatherNonTableObjects(db: ClientBase, spec: Mapping, selected: SelectedTable[]): Promise<NonTableObjectFacts> {
  const plan = await planNonTableObjects(db, spec, selected);
  return { unsupported: plan.unsupported, notPopulated: plan.notPopulated, extensions: plan.extensions };
}

export async function gatherObjectExtensions(db: ClientBase, names: string[]): Promise<ObjectExtensionFacts[]> {
  if (!names.length) return [];
  const versionNum = Number((await db.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
  const trusted = versionNum >= 130000 ? 'coalesce((SELECT bool_or(v.trusted) FROM pg_available_extension_versions v WHERE v.name = n), false)' : 'false';
  const { rows } = await db.query<ObjectExtensionFacts>(
    `SELECT n AS name, EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = n) AS installed,
            EXISTS (SELECT 1 FROM pg_available_extensions a WHERE a.name = n) AS available, ${trusted} AS trusted
       FROM unnest($1::text[]) n ORDER BY n`,
    [names],
  );
  return rows;
}
