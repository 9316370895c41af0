// The row filters (`where`) of the selected tables, validated with src/catalog/row-filter.ts: the parser's
// check (one boolean expression over the table's own columns, immutable built-ins only; it also tells which
// columns the filter reads) and the source server's verdict (checkRowFilter creates a publication with the
// filter — before 15 a partial index on a temporary copy — inside a transaction it rolls back: nothing is
// left behind).
import type { ClientBase } from 'pg';
import { rowFilterOf, type Mapping } from '../../catalog/names';
import { checkRowFilter, loadRowFilterParser, parseRowFilter } from '../../catalog/row-filter';
import type { RowFilterFacts, TableFacts } from './types';

export async function gatherRowFilters(db: ClientBase, spec: Mapping, tables: TableFacts[]): Promise<RowFilterFacts[]> {
  const filtered = tables.flatMap((t) => {
    const where = rowFilterOf(spec, t.ref);
    return where === undefined ? [] : [{ table: t, where }];
  });
  if (!filtered.length) return [];
  await loadRowFilterParser();
  const out: RowFilterFacts[] = [];
  for (const { table, where } of filtered) {
    const verdict = parseRowFilter(where, table.columns);
    out.push(verdict.ok
      ? { table: table.ref, where, columns: verdict.columns, problem: await checkRowFilter(db, table.ref, where) }
      : { table: table.ref, where, problem: verdict.reason });
  }
  return out;
}
