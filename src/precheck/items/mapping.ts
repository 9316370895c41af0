// The spec's name mapping against the real source columns, computed with src/catalog/names.ts (the very
// functions every phase uses): no two objects may land on one destination name, and every column the spec
// names must exist and may be left out only when pg-dts does not need it to find rows.
import { columnMapper, tableEntryFor } from '../../catalog/names';
import { PG_DTS_SCHEMA } from '../facts/types';
import { names, pass, problem, refName, type CheckItem } from './check';

/** PostgreSQL cuts identifiers to 63 bytes (NAMEDATALEN - 1) on a character boundary. */
export function truncateIdentifier(name: string): string {
  if (Buffer.byteLength(name) <= 63) return name;
  let out = '';
  for (const ch of name) {
    if (Buffer.byteLength(out + ch) > 63) break;
    out += ch;
  }
  return out;
}

function duplicates<T>(items: T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

export const tableCollisions: CheckItem = ({ selection }) => {
  const found: string[] = [];
  const key = (s: string, n: string) => `${truncateIdentifier(s)}\u0000${truncateIdentifier(n)}`;
  for (const group of duplicates(selection.tables, (t) => key(t.target.schema, t.target.name))) {
    const target = group[0]!.target;
    found.push(`${names(group.map((t) => refName(t.source)))} -> ${truncateIdentifier(target.schema)}.${truncateIdentifier(target.name)}`);
  }
  const reserved = selection.tables.filter((t) => t.target.schema === PG_DTS_SCHEMA);
  if (reserved.length) found.push(`${names(reserved.map((t) => refName(t.source)))} -> schema ${PG_DTS_SCHEMA}, which pg-dts keeps for itself`);
  return found.length === 0
    ? pass('mapping-table-collision', 'fail', 'every selected table maps to its own destination table')
    : problem('mapping-table-collision', 'fail', `several source tables map to one destination table (after nameCase, renameRules and the 63-byte limit): ${found.join('; ')}`,
        'give these tables distinct names with "rename" (table or schema), or change "nameCase"/"renameRules"');
};

export const columnCollisions: CheckItem = ({ spec, source }) => {
  const found: string[] = [];
  for (const t of source.tables) {
    const map = columnMapper(spec, t.ref);
    const mapped = t.columns.flatMap((c) => {
      const target = map(c);
      return target === null ? [] : [{ source: c, target: truncateIdentifier(target) }];
    });
    for (const group of duplicates(mapped, (m) => m.target)) {
      found.push(`${refName(t.ref)} (${group.map((m) => m.source).join(', ')} -> ${group[0]!.target})`);
    }
  }
  return found.length === 0
    ? pass('mapping-column-collision', 'fail', 'every synced column maps to its own destination column')
    : problem('mapping-column-collision', 'fail', `several columns map to one destination column: ${names(found)}`,
        'rename one of them ("columns": { "source": "destination" }), exclude it ("excludeColumns"), or change "nameCase"/"renameRules.columns"');
};

export const unknownColumns: CheckItem = ({ spec, source }) => {
  const found: string[] = [];
  for (const t of source.tables) {
    const entry = tableEntryFor(spec, t.ref);
    if (!entry) continue;
    const present = new Set(t.columns);
    const named = [...(entry.excludeColumns ?? []), ...Object.keys(entry.columns ?? {})];
    const missing = [...new Set(named.filter((c) => !present.has(c)))];
    if (missing.length) found.push(`${refName(t.ref)}: ${missing.join(', ')}`);
  }
  return found.length === 0
    ? pass('mapping-unknown-column', 'fail', 'every column named in "excludeColumns" and "columns" exists on the source')
    : problem('mapping-unknown-column', 'fail', `"excludeColumns"/"columns" name columns the source table does not have: ${names(found)}`,
        'correct the column names (they are case-sensitive source names) or remove them from the spec');
};

const mentions = (def: string, column: string): boolean =>
  def.includes(`"${column.replace(/"/g, '""')}"`) || new RegExp(`(^|[^\\w$"])${column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w$"])`).test(def);

export const excludedKeyColumns: CheckItem = ({ spec, source }) => {
  const found: string[] = [];
  for (const t of source.tables) {
    const map = columnMapper(spec, t.ref);
    const excluded = t.columns.filter((c) => map(c) === null);
    for (const c of excluded) {
      if (t.key?.columns.includes(c)) found.push(`${refName(t.ref)}.${c} (in ${t.key.primary ? 'primary key' : 'unique index'} ${t.key.index})`);
      else if (t.partitionKeyColumns.includes(c) || (t.partitionKeyDef && mentions(t.partitionKeyDef, c))) found.push(`${refName(t.ref)}.${c} (in the partition key)`);
    }
  }
  return found.length === 0
    ? pass('mapping-excluded-key', 'fail', 'no excluded column is part of a replication key or partition key')
    : problem('mapping-excluded-key', 'fail', `excluded columns that pg-dts needs to find rows or route them to partitions: ${names(found)}`,
        'keep these columns (remove them from "excludeColumns"), or give the table another primary key');
};

