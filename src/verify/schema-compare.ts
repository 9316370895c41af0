// Pure comparison of schema verification: two shapes (or two sets of named definitions) in, the
// differences out, each with what it is, missing / extra / different and both sides' text.
import { MARK } from './schema-shape';
import { sameViewDefinition } from './schema-views';
import type { SchemaDifference, SchemaReport, TableSchemaReport, TableShape } from './schema-types';

/** A text as a report shows it: column names MARKed by the mapping bare again where they need no quotes. */
const shown = (text: string | null): string | null =>
  text === null ? null : text.replace(new RegExp(`"([a-z_][a-z0-9_$]*)${MARK}"`, 'g'), '$1').split(MARK).join('');

function difference(object: string, kind: SchemaDifference['kind'], source: string | null, destination: string | null): SchemaDifference {
  return { object, kind, source: shown(source), destination: shown(destination) };
}

/**
 * Named definitions compared by name. With `byDefinition`, one missing on the destination and one extra
 * there with the same definition are one difference, of name: schema sync keeps names, and a later
 * migration that names the object (DROP CONSTRAINT x) would not find it.
 */
export function compareNamed(
  label: string, expected: Map<string, string>, actual: Map<string, string>, byDefinition: boolean,
  same: (name: string, a: string, b: string) => boolean = (_, a, b) => a === b,
): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  const missing: string[] = [];
  for (const [name, def] of expected) {
    const there = actual.get(name);
    if (there === undefined) missing.push(name);
    else if (!same(name, def, there)) out.push(difference(`${label} ${name}`, 'different', def, there));
  }
  const extra = [...actual.keys()].filter((name) => !expected.has(name));
  for (const name of missing) {
    const def = expected.get(name)!;
    const renamed = byDefinition ? extra.findIndex((x) => actual.get(x) === def) : -1;
    if (renamed >= 0) {
      const other = extra.splice(renamed, 1)[0]!;
      out.push(difference(`${label} ${name}`, 'different', `${name}: ${def}`, `${other}: ${def}`));
    } else out.push(difference(`${label} ${name}`, 'missing', def, null));
  }
  for (const name of extra) out.push(difference(`${label} ${name}`, 'extra', null, actual.get(name)!));
  return out;
}

/** A table's differences: columns, then constraints, then indexes. */
export function compareShapes(expected: TableShape, actual: TableShape): SchemaDifference[] {
  return [
    ...compareNamed('column', expected.columns, actual.columns, false),
    ...compareNamed('constraint', expected.constraints, actual.constraints, true),
    ...compareNamed('index', expected.indexes, actual.indexes, true),
  ];
}

/**
 * Non-table objects by `<kind> <name>`: those the source side expects (schema sync creates them) against
 * those of the same scope on the destination. Destination objects in `notCompared` (source objects schema
 * sync does not create) are left alone: having them is not a difference.
 */
export function compareObjects(expected: Map<string, string>, actual: Map<string, string>, notCompared: Set<string>): SchemaDifference[] {
  const present = new Map([...actual].filter(([k]) => expected.has(k) || !notCompared.has(k)));
  // Views are printed differently by different server versions: the same query is the same view.
  const same = (name: string, a: string, b: string): boolean => a === b || (/^(materialized )?view /.test(name) && sameViewDefinition(a, b));
  return compareNamed('', expected, present, false, same).map((d) => ({ ...d, object: d.object.trimStart() }));
}

/** One side of a schema verification, in full: what schema-sides.ts reads, under destination names. */
export interface SchemaSide {
  /** Per compared table (in the order of the verification's tables): its shape, or null when there is no such table. */
  tables: ({ shape: TableShape; printed: string } | null)[];
  /** Views, routines, triggers, rules, policies by `<kind> <name>`: their definitions. */
  objects: Map<string, string>;
  /** `sequence <name>`: its definition. */
  sequences: Map<string, string>;
}

/** Two sides compared: per table (`names[i]` is the i-th table's source and destination name) and the other objects. */
export function compareSides(names: { table: string; target: string }[], expected: SchemaSide, actual: SchemaSide, notCompared: Set<string>) {
  const tables: TableSchemaReport[] = names.map((n, i) => {
    const [s, d] = [expected.tables[i] ?? null, actual.tables[i] ?? null];
    if (!s || !d) {
      const differences: SchemaDifference[] = s || d ? [{ object: 'table', kind: s ? 'missing' : 'extra', source: s?.printed ?? null, destination: d?.printed ?? null }] : [];
      return { ...n, differences };
    }
    return { ...n, differences: compareShapes(s.shape, d.shape) };
  });
  const all = (side: SchemaSide): Map<string, string> => new Map([...side.objects, ...side.sequences]);
  const objects = compareObjects(all(expected), all(actual), notCompared);
  return { tables, objects, count: tables.reduce((n, t) => n + t.differences.length, 0) + objects.length };
}

/** A schema verification that could not run: nothing compared, the reason kept. */
export function schemaNotCompared(error: string, durationMs: number): SchemaReport {
  const compared = { tables: 0, columns: 0, constraints: 0, indexes: 0, objects: 0, sequences: 0 };
  return { tables: [], objects: [], compared, differences: 0, omitted: 0, notCompared: 0, durationMs, error };
}

/** How many differences the report lists at most; the rest are counted (the report is in the history). */
export const MAX_LISTED_DIFFERENCES = 500;

/** The report from every table's and object's differences, cut to MAX_LISTED_DIFFERENCES. */
export function schemaReport(
  tables: TableSchemaReport[], objects: SchemaDifference[], compared: SchemaReport['compared'], notCompared: number, durationMs: number, unsettled = false,
): SchemaReport {
  let room = MAX_LISTED_DIFFERENCES;
  const take = <T>(list: T[]): T[] => {
    const kept = list.slice(0, Math.max(0, room));
    room -= kept.length;
    return kept;
  };
  const differing = tables.filter((t) => t.differences.length > 0);
  const total = differing.reduce((n, t) => n + t.differences.length, 0) + objects.length;
  const listed = differing.map((t) => ({ ...t, differences: take(t.differences) })).filter((t) => t.differences.length > 0);
  const listedObjects = take(objects);
  const kept = listed.reduce((n, t) => n + t.differences.length, 0) + listedObjects.length;
  return { tables: listed, objects: listedObjects, compared, differences: total, omitted: total - kept, notCompared, durationMs, ...(unsettled ? { unsettled } : {}) };
}
