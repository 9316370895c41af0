// Row filters (`where`). Incremental sync applies them as publication row filters (PostgreSQL 15+;
// before 15 the applier evaluates them on the source, docs/row-filters.md); the full sync copies with the
// same WHERE.
// Each filter's validity (`problem`) and the columns it reads come from src/catalog/row-filter.ts
// (facts/row-filters.ts).
import { ROW_FILTER_RULES } from '../../catalog/row-filter';
import { major, names, pass, problem, refName, tableList, wants, type CheckItem } from './check';

export const rowFilterVersion: CheckItem = (input) => {
  const filtered = input.source.rowFilters;
  if (!wants(input, 'incremental') || filtered.length === 0) return null;
  return input.source.versionNum >= 150000
    ? pass('row-filter-version', 'fail', `source PostgreSQL ${major(input.source.versionNum)} supports publication row filters`)
    : pass('row-filter-version', 'fail',
        `source PostgreSQL ${major(input.source.versionNum)} has no publication row filters: the task evaluates each filter on the source for every change of ${tableList(filtered.map((f) => f.table))}`);
};

/**
 * Each filter must be valid (validator), and with "replicaIdentity": "keep" every column it reads must be
 * in the table's replica identity: PostgreSQL rejects UPDATE and DELETE on a published table whose row
 * filter reads other columns. Without the validator's column list, only FULL is known to be safe.
 */
export const rowFilters: CheckItem = (input) => {
  const { rowFilters: filters, tables } = input.source;
  if (filters.length === 0) return null;
  const found: string[] = [];
  for (const f of filters) {
    if (f.problem) found.push(`${refName(f.table)}: ${f.problem}`);
  }
  if (wants(input, 'incremental') && input.spec.replicaIdentity === 'keep') {
    for (const f of filters) {
      const t = tables.find((x) => x.ref.schema === f.table.schema && x.ref.name === f.table.name);
      if (!t || t.replicaIdentity === 'f') continue;
      const identity = t.replicaIdentity === 'd' && t.key?.primary ? t.key.columns : [];
      const covered = f.columns !== undefined && f.columns.every((c) => identity.includes(c));
      if (!covered) found.push(`${refName(f.table)}: the filter may read columns outside the replica identity, so UPDATE and DELETE would fail on the source`);
    }
  }
  return found.length === 0
    ? pass('row-filter', 'fail', `${filters.length} row filter(s) usable`)
    : problem('row-filter', 'fail', `row filter problems: ${names(found, 20)}`,
        `correct the "where" expressions: ${ROW_FILTER_RULES}; with "replicaIdentity": "keep" filter only on primary-key columns or set "replicaIdentity": "full"`);
};
