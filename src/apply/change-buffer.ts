// Collapses the row changes of a batch into their net effect per row, so a hot row updated a thousand
// times costs one statement, and the rest can be written as a few multi-row statements.
//
// Per row key the buffer tracks whether the row existed before the batch (the first change was an UPDATE
// or DELETE) and its final state (a row, or absent). That is enough to reach the same end state as
// replaying every change: DELETE rows that existed and are gone (or were deleted and inserted again),
// UPDATE rows that existed and still do, INSERT rows that are new. Intermediate states are skipped, so a
// unique constraint other than the key can trip when the batch is written set-wise (two rows swapping a
// unique value): the applier then replays the ordered log kept here, one change at a time.
import type { FilteredChange, RelationRowFilter } from './row-filter-decision';
import type { Row } from './statements';

/** What the applier knows of a destination table; one object per relation version. */
export interface RelationTarget {
  readonly key: string; // schema.name of the target, for logs
  readonly target: { schema: string; name: string };
  /** Columns identifying a row on the destination (its primary key or first non-null unique index). */
  readonly keyColumns: string[];
  /** True when keyColumns are backed by a unique index on the destination (ON CONFLICT can name them). */
  readonly keyIndexed: boolean;
  /** GENERATED ALWAYS identity columns: an UPDATE may not name them. */
  readonly alwaysIdentity: string[];
  /** Unique or exclusion constraints besides the key: a set-wise write may trip them where the ordered
   * changes would not, so such batches are written under a savepoint. */
  readonly hasOtherUniques: boolean;
  /** Destination column types (format_type), for casting the text values sent in arrays. */
  readonly columnTypes: Map<string, string>;
  /** Row operations the task applies to this table (the spec's `dml`); others are dropped. */
  readonly dml: ReadonlySet<string>;
  /** Source column -> destination column (null: excluded); null when every name stays as it is. */
  readonly columnMap: ReadonlyMap<string, string | null> | null;
  /** Changes from transactions committed before this LSN are already in the table's own copy. */
  readonly joinedAt?: bigint;
  /** A row filter the applier evaluates itself (sources before 15, whose publications cannot filter). */
  readonly rowFilter?: RelationRowFilter;
}

export type LoggedChange =
  | { op: 'insert'; rel: RelationTarget; row: Row }
  | { op: 'update'; rel: RelationTarget; keyRow: Row; row: Row }
  | { op: 'delete'; rel: RelationTarget; keyRow: Row };

interface RowState {
  /** The key columns' values (the key never changes inside a state: a key change is not merged). */
  keyRow: Row;
  existedBefore: boolean;
  /** Deleted and inserted again within the batch: written as DELETE + INSERT, never as UPDATE. */
  reinserted: boolean;
  final: Row | null;
  /** `final` is a copy this buffer may change; otherwise it is a logged change's own row. */
  owned: boolean;
}

export interface TableEffect {
  rel: RelationTarget;
  deletes: Row[]; // key rows
  updates: { keyRow: Row; row: Row }[];
  inserts: Row[];
}

/** NUL cannot occur in a PostgreSQL text value, so it separates key parts unambiguously. */
function rowKey(keyColumns: string[], row: Row): string {
  if (keyColumns.length === 1) {
    const v = row[keyColumns[0]!];
    return v === null || v === undefined ? '\u0001' : v;
  }
  return keyColumns.map((c) => row[c] ?? '\u0001').join('\u0000');
}

/** New values over the state's row; `undefined` (an unchanged TOAST value) keeps what was there. */
function mergeInto(s: RowState, next: Row): void {
  // The logged change keeps its own row (a replay needs it): copy before the first write.
  const target = s.owned ? s.final! : { ...s.final };
  for (const c in next) {
    const v = next[c];
    if (v !== undefined) target[c] = v;
  }
  s.final = target;
  s.owned = true;
}

/** Whether an update moves the row to another key (a column absent from the new tuple keeps its value). */
export function keyChanges(keyColumns: string[], keyRow: Row, row: Row): boolean {
  for (const c of keyColumns) {
    const v = row[c];
    if (v !== undefined && v !== keyRow[c]) return true;
  }
  return false;
}

export class ChangeBuffer {
  private readonly tables = new Map<RelationTarget, Map<string, RowState>>();
  readonly log: LoggedChange[] = [];
  /** Changes of tables with a row filter the applier evaluates: decided (and merged) only when written. */
  readonly filtered: FilteredChange[] = [];
  bytes = 0;
  /** Holds changes from the catch-up window of a resumed full sync (ApplierOptions.catchUpUntil). */
  catchUp = false;

  get size(): number {
    return this.log.length + this.filtered.length;
  }

  /** Holds a change whose row filter is still to be evaluated (in stream order). */
  addFiltered(change: FilteredChange, bytes: number): void {
    this.filtered.push(change);
    this.bytes += bytes;
  }

  private states(rel: RelationTarget): Map<string, RowState> {
    let m = this.tables.get(rel);
    if (!m) this.tables.set(rel, (m = new Map()));
    return m;
  }

  /** Adds a change. Returns false if it cannot be merged (the caller must write the buffer first). */
  add(change: LoggedChange, bytes: number): boolean {
    const states = this.states(change.rel);
    const keyCols = change.rel.keyColumns;
    if (change.op === 'insert') {
      const k = rowKey(keyCols, change.row);
      const s = states.get(k);
      if (!s) states.set(k, { keyRow: pick(keyCols, change.row), existedBefore: false, reinserted: false, final: change.row, owned: false });
      else if (s.final === null) Object.assign(s, { final: change.row, reinserted: s.existedBefore, owned: false });
      else return false; // an insert over a live row: only the ordered replay says what happens
    } else if (change.op === 'update') {
      if (keyChanges(keyCols, change.keyRow, change.row)) return false;
      if (changesAlwaysIdentity(change.rel, change.keyRow, change.row)) return false;
      const k = rowKey(keyCols, change.keyRow);
      const s = states.get(k);
      if (!s) states.set(k, { keyRow: pick(keyCols, change.keyRow), existedBefore: true, reinserted: false, final: change.row, owned: false });
      else if (s.final === null) return false; // update of a row deleted in this batch: anomaly, replay
      else mergeInto(s, change.row);
    } else {
      const k = rowKey(keyCols, change.keyRow);
      const s = states.get(k);
      if (!s) states.set(k, { keyRow: pick(keyCols, change.keyRow), existedBefore: true, reinserted: false, final: null, owned: false });
      else s.final = null;
    }
    this.log.push(change);
    this.bytes += bytes;
    return true;
  }

  /** The net effect, per table. */
  effects(): TableEffect[] {
    const out: TableEffect[] = [];
    for (const [rel, states] of this.tables) {
      const e: TableEffect = { rel, deletes: [], updates: [], inserts: [] };
      for (const s of states.values()) {
        if (s.existedBefore && (s.final === null || s.reinserted)) e.deletes.push(s.keyRow);
        if (s.final === null) continue;
        if (s.existedBefore && !s.reinserted) e.updates.push({ keyRow: s.keyRow, row: s.final });
        else e.inserts.push(s.final);
      }
      out.push(e);
    }
    return out;
  }
}

/** An update that changes a GENERATED ALWAYS identity value (known from a full old row). */
function changesAlwaysIdentity(rel: RelationTarget, keyRow: Row, row: Row): boolean {
  return rel.alwaysIdentity.some((c) => keyRow[c] !== undefined && row[c] !== undefined && keyRow[c] !== row[c]);
}

function pick(columns: string[], row: Row): Row {
  const out: Row = {};
  for (const c of columns) out[c] = row[c];
  return out;
}
