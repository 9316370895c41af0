// Row filters on sources without publication row filters (before PostgreSQL 15): the publication sends
// every change of a filtered table, and the applier applies PostgreSQL's own pre-image rule to each one
// (docs/row-filters.md), as pgoutput does on 15+:
//
//   INSERT  new row matches            -> INSERT, else nothing
//   DELETE  old row matches            -> DELETE, else nothing
//   UPDATE  old and new match          -> UPDATE
//           old matches, new does not  -> DELETE of the old key (the row leaves)
//           new matches, old does not  -> INSERT of the whole new row (the row enters)
//           neither                    -> nothing
//
// Pure: whether a row matches is asked of an evaluator (src/stream/row-filter-source.ts evaluates the
// filter on the source server), for all the rows of a batch at once.
import type { TableRef } from '../catalog/names';
import type { LoggedChange, RelationTarget } from './change-buffer';
import type { Row } from './statements';

/** A filtered table's filter and the source relation's columns, as the relation message gives them. */
export interface RelationRowFilter {
  source: TableRef;
  where: string;
  columns: { name: string; typeOid: number; typeMod: number }[];
}

/**
 * One change of a filtered table before the decision, with rows under SOURCE column names (the filter
 * reads them, excluded columns included). `old` is the old row as sent (the whole row with REPLICA
 * IDENTITY FULL, else the key, else absent); `new` is the new row as sent (undefined: unchanged TOAST).
 */
export interface FilteredChange {
  op: 'insert' | 'update' | 'delete';
  rel: RelationTarget & { rowFilter: RelationRowFilter };
  old: Row | null;
  new: Row | null;
}

/** Whether each row matches the filter (NULL counts as not matching, as in WHERE); one answer per row. */
export type RowFilterEvaluator = (filter: RelationRowFilter, rows: Row[]) => Promise<boolean[]>;

export type FilterDecision = 'insert' | 'update' | 'delete' | null;

/** The pre-image rule. `oldMatches`/`newMatches` are null where the change has no such row. */
export function decideFiltered(op: FilteredChange['op'], oldMatches: boolean | null, newMatches: boolean | null): FilterDecision {
  if (op === 'insert') return newMatches ? 'insert' : null;
  if (op === 'delete') return oldMatches ? 'delete' : null;
  if (oldMatches && newMatches) return 'update';
  if (oldMatches) return 'delete';
  return newMatches ? 'insert' : null;
}

/**
 * The rows the filter is evaluated on. The new row of an UPDATE is the old row with the new values over
 * it: a column sent as unchanged TOAST keeps the old row's value, so a row entering the filter is
 * inserted whole (the decoder, pgoutput-fast.ts, already does this when the whole old row came along). Without an old row (not REPLICA IDENTITY FULL and the key unchanged) the old row is the
 * new one, as pgoutput does on 15+; the precheck then allows only filters over key columns.
 */
export function filterRows(c: FilteredChange): { old: Row | null; new: Row | null } {
  if (c.op === 'insert') return { old: null, new: c.new };
  if (c.op === 'delete') return { old: c.old, new: null };
  const merged: Row = { ...(c.old ?? {}) };
  for (const k in c.new) if (c.new[k] !== undefined) merged[k] = c.new[k];
  return { old: c.old ?? merged, new: merged };
}

/** The change to write for a decision, under destination column names; null when nothing is written. */
export function decidedChange(c: FilteredChange, decision: FilterDecision, rows: { old: Row | null; new: Row | null }, map: (row: Row) => Row): LoggedChange | null {
  const { rel } = c;
  if (decision === null) return null;
  // The row the destination holds is found by the old key (sent when the key changed, or the full old row).
  const keyRow = c.old ?? c.new;
  if (decision === 'insert') return { op: 'insert', rel, row: map(c.op === 'insert' ? c.new! : rows.new!) };
  if (decision === 'delete') return { op: 'delete', rel, keyRow: map(keyRow!) };
  return { op: 'update', rel, keyRow: map(keyRow!), row: map(c.new!) };
}

/**
 * Decides a batch of filtered changes, in order: one evaluation per table for all its rows (old and new),
 * then the pre-image rule per change. Returns the changes to write, in the order received.
 */
export async function resolveFiltered(changes: FilteredChange[], evaluate: RowFilterEvaluator, map: (rel: RelationTarget, row: Row) => Row): Promise<LoggedChange[]> {
  const rows = changes.map(filterRows);
  const verdicts = new Map<FilteredChange['rel'], { rows: Row[]; matches: boolean[] }>();
  const slot: { old: number | null; new: number | null }[] = [];
  for (let i = 0; i < changes.length; i++) {
    const rel = changes[i]!.rel;
    let v = verdicts.get(rel);
    if (!v) verdicts.set(rel, (v = { rows: [], matches: [] }));
    const add = (r: Row | null): number | null => (r === null ? null : v.rows.push(r) - 1);
    slot.push({ old: add(rows[i]!.old), new: add(rows[i]!.new) });
  }
  for (const [rel, v] of verdicts) {
    v.matches = await evaluate(rel.rowFilter, v.rows);
    if (v.matches.length !== v.rows.length) throw new Error(`row filter of ${rel.key}: ${v.matches.length} answers for ${v.rows.length} rows`);
  }
  const out: LoggedChange[] = [];
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    const { matches } = verdicts.get(c.rel)!;
    const at = (n: number | null): boolean | null => (n === null ? null : matches[n]!);
    const decided = decidedChange(c, decideFiltered(c.op, at(slot[i]!.old), at(slot[i]!.new)), rows[i]!, (r) => map(c.rel, r));
    if (decided) out.push(decided);
  }
  return out;
}
