// The extensions the selected tables' definitions need (an index's operator class, a column's type, a
// function in a default) and the destination lacks, created by createSchema before any table — the same
// verdicts the precheck item table-dependencies reported as "will be created".
import type { ClientBase } from 'pg';
import type { SelectedTable } from '../catalog/names';
import { gatherDependencyPresence, gatherTableDependencies } from '../precheck/facts/table-dependencies';
import { extensionVerdicts } from '../precheck/items/table-dependencies';
import { ident, qualified } from '../util/sql';

/** CREATE EXTENSION statements (and the schemas they go in) for what the destination lacks and may install. */
export async function extensionStatements(source: ClientBase, destination: ClientBase, tables: SelectedTable[]): Promise<string[]> {
  if (!tables.length) return [];
  const { rows } = await source.query<{ oid: number | null }>(`SELECT to_regclass(n)::oid::int8 AS oid FROM unnest($1::text[]) n`, [
    tables.map((t) => qualified(t.source)),
  ]);
  const needs = await gatherTableDependencies(source, rows.flatMap((r) => (r.oid === null ? [] : [Number(r.oid)])));
  if (!needs.some((n) => n.extension)) return [];
  const presence = await gatherDependencyPresence(destination, needs);
  const user = (
    await destination.query<{ isSuperuser: boolean; canCreateInDatabase: boolean }>(
      `SELECT rolsuper AS "isSuperuser", has_database_privilege(current_database(), 'CREATE') AS "canCreateInDatabase" FROM pg_roles WHERE rolname = current_user`,
    )
  ).rows[0]!;
  return extensionVerdicts(needs, presence, user)
    .filter((v) => v.verdict === 'create')
    .flatMap((v) => {
      const available = presence.available.find((a) => a.name === v.extension)!;
      // Definitions name the extension's objects in the source's schema (public.gin_trgm_ops): it goes there,
      // unless its control file fixes the schema.
      const schema = v.schema && (available.relocatable || !available.schema) ? v.schema : null;
      return schema
        ? [`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`, `CREATE EXTENSION IF NOT EXISTS ${ident(v.extension)} SCHEMA ${ident(schema)} CASCADE`]
        : [`CREATE EXTENSION IF NOT EXISTS ${ident(v.extension)} CASCADE`];
    });
}
