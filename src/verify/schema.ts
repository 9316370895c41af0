// Schema verification (issue 16, item 3; docs/verification.md "Schema"): the destination's columns,
// constraints and indexes of every compared table (the selected tables and their partitions), the views,
// routines, triggers, rules and policies the task creates, and the synced sequences' definitions, against
// what schema sync makes of the source's — so a task just synced is equal, and only drift is reported.
// Both sessions are prepared by prepareSession (search_path '', read-only).
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
import { compareObjects, compareShapes, schemaReport } from './schema-compare';
import { markedLookup, tableShape, type ShapeMapping } from './schema-shape';
import type { SchemaDifference, SchemaReport, TableSchemaReport } from './schema-types';

/** A compared table: a selected one or one of its partitions, with the selected table whose rules it follows. */
interface Pair {
  source: TableRef;
  target: TableRef;
  root: TableRef;
  rootTarget: TableRef;
}

async function comparedTables(src: ClientBase, spec: Mapping, tables: SelectedTable[]): Promise<Pair[]> {
  const partitions = await readPartitions(src, tables.map((t) => t.source));
  return tables.flatMap((t) => [
    { source: t.source, target: t.target, root: t.source, rootTarget: t.target },
    ...(partitions.get(tableKey(t.source)) ?? []).map((p) => ({ source: p, target: targetTableName(spec, p), root: t.source, rootTarget: t.target })),
  ]);
}

/**
 * The source's printed names of the compared tables, the sequences their defaults name and the types
 * their columns use, each to the destination name schema sync gives it, as the destination prints it.
 */
async function sourceRenamer(dst: ClientBase, spec: Mapping, pairs: Pair[], srcRaw: Map<string, RawTable>): Promise<(sql: string) => string> {
  const renames: [string, TableRef][] = [];
  for (const p of pairs) {
    const raw = srcRaw.get(tableKey(p.source));
    if (!raw) continue;
    renames.push([raw.printed, p.target]);
    for (const s of raw.sequences) renames.push([s.printed, targetTableName(spec, s.ref)]);
    for (const c of raw.columns) if (c.userType) renames.push([c.userType.text, targetTableName(spec, c.userType.ref)]);
  }
  const printed = await printedNames(dst, renames.map(([, to]) => to));
  return nameReplacer(renames.map(([from], i) => [from, printed[i]!]));
}

async function compareTables(src: ClientBase, dst: ClientBase, spec: Mapping, pairs: Pair[]) {
  const srcRaw = await readTables(src, pairs.map((p) => p.source));
  const dstRaw = await readTables(dst, pairs.map((p) => p.target));
  const rename = await sourceRenamer(dst, spec, pairs, srcRaw);
  if (pairs.some((p) => !isIdentityMapping(spec, p.root))) await loadColumnParser();
  const bySource = new Map(pairs.map((p) => [tableKey(p.source), p]));
  const byTarget = new Map(pairs.map((p) => [tableKey(p.target), p]));
  const parses = (p: Pair): boolean => !isIdentityMapping(spec, p.root);
  const names = (raw: RawTable | undefined): string[] => raw?.columns.map((c) => c.name) ?? [];
  const sourceLookup = (p: Pair): ColumnLookup => markedLookup(names(srcRaw.get(tableKey(p.root))), columnMapper(spec, p.root));
  const targetLookup = (p: Pair): ColumnLookup => markedLookup(names(dstRaw.get(tableKey(p.rootTarget))), (c) => c);
  const reports: TableSchemaReport[] = [];
  const compared = { tables: pairs.length, columns: 0, constraints: 0, indexes: 0 };
  for (const p of pairs) {
    const [s, d] = [srcRaw.get(tableKey(p.source)), dstRaw.get(tableKey(p.target))];
    const report = (differences: SchemaDifference[]): number => reports.push({ table: tableKey(p.source), target: tableKey(p.target), differences });
    if (!s || !d) {
      if (s || d) report([{ object: 'table', kind: s ? 'missing' : 'extra', source: s ? s.printed : null, destination: d ? d.printed : null }]);
      continue;
    }
    const expected = tableShape(s, {
      column: columnMapper(spec, p.root), parse: parses(p), lookup: sourceLookup(p), rename,
      referenced: (ref) => {
        const q = bySource.get(tableKey(ref));
        return q ? { lookup: sourceLookup(q), parse: parses(q) } : 'skip';
      },
    });
    const actual = tableShape(d, {
      column: (c) => c, parse: parses(p), lookup: targetLookup(p), rename: (sql) => sql,
      referenced: (ref) => {
        const q = byTarget.get(tableKey(ref));
        return q ? { lookup: targetLookup(q), parse: parses(q) } : { lookup: () => undefined, parse: false };
      },
    } satisfies ShapeMapping);
    compared.columns += expected.columns.size;
    compared.constraints += expected.constraints.size;
    compared.indexes += expected.indexes.size;
    report(compareShapes(expected, actual));
  }
  return { reports, compared };
}

/** Definitions printed from parse trees are compared with their whitespace collapsed; routine bodies as they are. */
function objectText(c: { kind: string; statements: string[]; problem?: string }): string {
  const text = c.statements.length ? c.statements.join(';\n') : `(${c.problem ?? 'no definition'})`;
  return c.kind === 'function' || c.kind === 'procedure' ? text : text.replace(/\s+/g, ' ').trim();
}

/** Names the destination's objects keep: the readers run there with no mapping at all. */
const SAME_NAMES: Mapping = { objects: [], nameCase: 'source' };

async function compareNonTableObjects(src: ClientBase, dst: ClientBase, spec: Mapping, tables: SelectedTable[]) {
  const plan = await planNonTableObjects(src, spec, tables);
  const expected = new Map(plan.objects.map((o) => [`${o.kind} ${o.name}`, objectText(o)]));
  const notCompared = new Set(plan.unsupported.map((o) => `${o.kind} ${o.name}`));
  // On the destination: the same schemas (only those keeping their names have objects created) and
  // every synced table under its destination name.
  const scope: ObjectScope = { spec: SAME_NAMES, schemas: objectScope(spec, tables).schemas, renamedSchemas: [], sameTables: tables.map((t) => t.target), mappedTables: [] };
  const there: Candidate[] = [...(await readRoutines(dst, scope)), ...(await readViews(dst, scope)), ...(await readTableObjects(dst, scope))];
  const actual = new Map(there.map((c) => [`${c.kind} ${c.name}`, objectText(c)]));
  return { differences: compareObjects(expected, actual, notCompared), compared: expected.size, notCompared: notCompared.size };
}

const sequenceText = (s: Parameters<typeof sequenceOptions>[0]): string => `AS ${s.dataType} ${sequenceOptions(s)}`;

/** The definitions (type, start, increment, bounds, cache, cycle) of every sequence the task syncs; positions are the follower's. */
async function compareSequences(src: ClientBase, dst: ClientBase, spec: Mapping, tables: SelectedTable[]) {
  const synced = await syncedSequences(src, spec, tables);
  const sourceDefs = new Map((await readSequenceDefs(src, synced.map((s) => qualified(s.sequence)))).map((d) => [tableKey(d.ref), d]));
  const found = await destinationSequences(dst, synced.map((s) => {
    const column = s.owner ? columnMapper(spec, s.owner.table)(s.owner.column) : null;
    return { owner: s.owner && column !== null ? { table: qualified(targetTableName(spec, s.owner.table)), column } : null, name: qualified(targetTableName(spec, s.sequence)) };
  }));
  const destDefs = new Map((await readSequenceDefs(dst, found.filter((f): f is string => f !== null))).map((d) => [d.regclassText, d]));
  const differences: SchemaDifference[] = [];
  synced.forEach((s, i) => {
    const source = sourceDefs.get(tableKey(s.sequence));
    if (!source) return;
    const there = found[i] ? destDefs.get(found[i]!) : undefined;
    const object = `sequence ${tableKey(targetTableName(spec, s.sequence))}`;
    if (!there) differences.push({ object, kind: 'missing', source: sequenceText(source), destination: null });
    else if (sequenceText(there) !== sequenceText(source)) differences.push({ object, kind: 'different', source: sequenceText(source), destination: sequenceText(there) });
  });
  return { differences, compared: synced.length };
}

export async function verifySchemaOf(src: ClientBase, dst: ClientBase, spec: Mapping, tables: SelectedTable[]): Promise<SchemaReport> {
  const started = Date.now();
  const pairs = await comparedTables(src, spec, tables);
  const t = await compareTables(src, dst, spec, pairs);
  const objects = await compareNonTableObjects(src, dst, spec, tables);
  const sequences = await compareSequences(src, dst, spec, tables);
  return schemaReport(
    t.reports, [...objects.differences, ...sequences.differences],
    { ...t.compared, objects: objects.compared, sequences: sequences.compared }, objects.notCompared, Date.now() - started,
  );
}
