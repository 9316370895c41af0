// One side of schema verification, read in full: the source's as what schema sync makes of it (under
// destination names), the destination's as its server prints it. Each is a SchemaSide the pure
// comparison (schema-compare.ts compareSides) takes; reading a side again is how a verification of a
// streaming task tells a migration in flight from drift (schema.ts).
import type { ClientBase } from 'pg';
import { columnMapper, isIdentityMapping, tableKey, targetTableName, type Mapping, type SelectedTable, type TableRef } from '../catalog/names';
import { loadColumnParser, type ColumnLookup } from '../schema/column-map';
import { nameReplacer } from '../schema/ddl';
import { objectScope, planNonTableObjects, type Candidate, type ObjectScope } from '../schema/non-table-objects';
import { readRoutines } from '../schema/routines';
import { syncedSequences } from '../schema/sequences';
import { sequenceOptions } from '../schema/statements';
import { readTableObjects } from '../schema/triggers';
import { readViews } from '../schema/views';
import { qualified } from '../util/sql';
import { destinationSequences, printedNames, readPartitions, readSequenceDefs, readTables, type RawTable } from './schema-catalog';
import type { SchemaSide } from './schema-compare';
import { markedLookup, tableShape } from './schema-shape';

/** A compared table: a selected one or one of its partitions, with the selected table whose rules it follows. */
export interface Pair {
  source: TableRef;
  target: TableRef;
  root: TableRef;
  rootTarget: TableRef;
}

export async function comparedTables(src: ClientBase, spec: Mapping, tables: SelectedTable[]): Promise<Pair[]> {
  const partitions = await readPartitions(src, tables.map((t) => t.source));
  return tables.flatMap((t) => [
    { source: t.source, target: t.target, root: t.source, rootTarget: t.target },
    ...(partitions.get(tableKey(t.source)) ?? []).map((p) => ({ source: p, target: targetTableName(spec, p), root: t.source, rootTarget: t.target })),
  ]);
}

/** What the source side tells the destination's read: which sequences to look up there. */
export interface SourceSide extends SchemaSide {
  /** Source objects schema sync does not create: not compared. */
  notCompared: Set<string>;
  sequenceLookups: { object: string; owner: { table: string; column: string } | null; name: string }[];
}

const parses = (spec: Mapping, p: Pair): boolean => !isIdentityMapping(spec, p.root);
const columnNames = (raw: RawTable | undefined): string[] => raw?.columns.map((c) => c.name) ?? [];

/**
 * The source's printed names of the compared tables, the sequences their defaults name and the types
 * their columns use, each to the destination name schema sync gives it, as the destination prints it.
 */
async function sourceRenamer(dst: ClientBase, spec: Mapping, pairs: Pair[], raw: Map<string, RawTable>): Promise<(sql: string) => string> {
  const renames: [string, TableRef][] = [];
  for (const p of pairs) {
    const t = raw.get(tableKey(p.source));
    if (!t) continue;
    renames.push([t.printed, p.target]);
    for (const s of t.sequences) renames.push([s.printed, targetTableName(spec, s.ref)]);
    for (const c of t.columns) if (c.userType) renames.push([c.userType.text, targetTableName(spec, c.userType.ref)]);
  }
  const printed = await printedNames(dst, renames.map(([, to]) => to));
  return nameReplacer(renames.map(([from], i) => [from, printed[i]!]));
}

/**
 * Definitions printed from parse trees are compared with their whitespace collapsed (routine bodies as
 * they are), a trigger's EXECUTE PROCEDURE as EXECUTE FUNCTION (servers before 12 print the older word).
 */
export function objectText(c: { kind: string; statements: string[]; problem?: string }): string {
  const text = c.statements.length ? c.statements.join(';\n') : `(${c.problem ?? 'no definition'})`;
  if (c.kind === 'function' || c.kind === 'procedure') return text;
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return c.kind === 'trigger' ? collapsed.replace(/ EXECUTE PROCEDURE /, ' EXECUTE FUNCTION ') : collapsed;
}

const sequenceText = (s: Parameters<typeof sequenceOptions>[0]): string => `AS ${s.dataType} ${sequenceOptions(s)}`;

/** The source, mapped as schema sync maps it. `dst` only prints names (quote_ident), it reads nothing there. */
export async function readSourceSide(src: ClientBase, dst: ClientBase, spec: Mapping, tables: SelectedTable[], pairs: Pair[]): Promise<SourceSide> {
  const raw = await readTables(src, pairs.map((p) => p.source));
  const rename = await sourceRenamer(dst, spec, pairs, raw);
  if (pairs.some((p) => parses(spec, p))) await loadColumnParser();
  const bySource = new Map(pairs.map((p) => [tableKey(p.source), p]));
  const lookup = (p: Pair): ColumnLookup => markedLookup(columnNames(raw.get(tableKey(p.root))), columnMapper(spec, p.root));
  const shapes = pairs.map((p) => {
    const t = raw.get(tableKey(p.source));
    if (!t) return null;
    const shape = tableShape(t, {
      column: columnMapper(spec, p.root), parse: parses(spec, p), lookup: lookup(p), rename,
      referenced: (ref) => {
        const q = bySource.get(tableKey(ref));
        return q ? { lookup: lookup(q), parse: parses(spec, q) } : 'skip';
      },
    });
    return { shape, printed: t.printed };
  });
  const plan = await planNonTableObjects(src, spec, tables);
  // View definitions that differ in text are compared as parse trees (schema-views.ts).
  if (plan.objects.some((o) => o.kind === 'view' || o.kind === 'materialized view')) await loadColumnParser();
  const synced = await syncedSequences(src, spec, tables);
  const defs = new Map((await readSequenceDefs(src, synced.map((s) => qualified(s.sequence)))).map((d) => [tableKey(d.ref), d]));
  const sequenceLookups = synced.filter((s) => defs.has(tableKey(s.sequence))).map((s) => {
    const column = s.owner ? columnMapper(spec, s.owner.table)(s.owner.column) : null;
    return {
      object: `sequence ${tableKey(targetTableName(spec, s.sequence))}`, source: defs.get(tableKey(s.sequence))!,
      owner: s.owner && column !== null ? { table: qualified(targetTableName(spec, s.owner.table)), column } : null,
      name: qualified(targetTableName(spec, s.sequence)),
    };
  });
  return {
    tables: shapes,
    objects: new Map(plan.objects.map((o) => [`${o.kind} ${o.name}`, objectText(o)])),
    sequences: new Map(sequenceLookups.map((s) => [s.object, sequenceText(s.source)])),
    notCompared: new Set(plan.unsupported.map((o) => `${o.kind} ${o.name}`)),
    sequenceLookups: sequenceLookups.map(({ object, owner, name }) => ({ object, owner, name })),
  };
}

/** Names the destination's objects keep: the readers run there with no mapping at all. */
const SAME_NAMES: Mapping = { objects: [], nameCase: 'source' };

/** The destination as its server prints it, the definitions of mapped tables put through the same column rewrite. */
export async function readDestinationSide(dst: ClientBase, spec: Mapping, tables: SelectedTable[], pairs: Pair[], source: SourceSide): Promise<SchemaSide> {
  const raw = await readTables(dst, pairs.map((p) => p.target));
  if (pairs.some((p) => parses(spec, p))) await loadColumnParser();
  const byTarget = new Map(pairs.map((p) => [tableKey(p.target), p]));
  const lookup = (p: Pair): ColumnLookup => markedLookup(columnNames(raw.get(tableKey(p.rootTarget))), (c) => c);
  const shapes = pairs.map((p) => {
    const t = raw.get(tableKey(p.target));
    if (!t) return null;
    const shape = tableShape(t, {
      column: (c) => c, parse: parses(spec, p), lookup: lookup(p), rename: (sql) => sql,
      referenced: (ref) => {
        const q = byTarget.get(tableKey(ref));
        return q ? { lookup: lookup(q), parse: parses(spec, q) } : { lookup: () => undefined, parse: false };
      },
    });
    return { shape, printed: t.printed };
  });
  // The same schemas (only those keeping their names have objects created) and every synced table under its destination name.
  const scope: ObjectScope = { spec: SAME_NAMES, schemas: objectScope(spec, tables).schemas, renamedSchemas: [], sameTables: tables.map((t) => t.target), mappedTables: [] };
  const objects: Candidate[] = [...(await readRoutines(dst, scope)), ...(await readViews(dst, scope)), ...(await readTableObjects(dst, scope))];
  const found = await destinationSequences(dst, source.sequenceLookups);
  const defs = new Map((await readSequenceDefs(dst, found.filter((f): f is string => f !== null))).map((d) => [d.regclassText, d]));
  const sequences = new Map<string, string>();
  source.sequenceLookups.forEach((s, i) => {
    const def = found[i] ? defs.get(found[i]!) : undefined;
    if (def) sequences.set(s.object, sequenceText(def));
  });
  return { tables: shapes, objects: new Map(objects.map((c) => [`${c.kind} ${c.name}`, objectText(c)])), sequences };
}
