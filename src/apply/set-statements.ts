// Multi-row statements for a batch's net effect. Each column travels as ONE text[] parameter and is
// unnested and cast to the destination column's type on the server, so:
//  - the statement text depends only on the table and the set of columns, never on the row count, and
//    stays a cached prepared statement however many rows a batch holds;
//  - values keep the exact text the source printed; the server parses them with the column type's own
//    input function, as it would a single-row text parameter (arrays, ranges, composites included).
// The same statements with one row each serve the change-by-change path.
import { ident, qualified } from '../util/sql';
import type { RelationTarget } from './change-buffer';
import type { Row, Statement } from './statements';

const NEEDS_ESCAPE = /[\\"]/;

/** A PostgreSQL text[] literal. Every element is quoted, so no value needs special-casing but NULL. */
export function textArrayLiteral(values: (string | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else out += NEEDS_ESCAPE.test(v) ? `"${v.replace(/[\\"]/g, '\\$&')}"` : `"${v}"`;
  }
  return `${out}}`;
}

function columnType(rel: RelationTarget, column: string): string {
  const t = rel.columnTypes.get(column);
  if (!t) throw new Error(`column "${column}" of ${rel.key} does not exist on the destination`);
  return t;
}

/** `unnest($1::text[], …) AS v(a1, …)`: one text[] parameter per column. */
const unnestFrom = (n: number): string =>
  `unnest(${Array.from({ length: n }, (_, i) => `$${i + 1}::text[]`).join(', ')}) AS v(${Array.from({ length: n }, (_, i) => `a${i + 1}`).join(', ')})`;

const arrays = (columns: string[], rows: Row[]): string[] => columns.map((c) => textArrayLiteral(rows.map((r) => r[c])));

/** `v.aN::type` — the text value cast to the destination column's type. */
const cast = (rel: RelationTarget, column: string, position: number): string => `v.a${position}::${columnType(rel, column)}`;

const keyMatch = (rel: RelationTarget): string => rel.keyColumns.map((c, i) => `t.${ident(c)} = ${cast(rel, c, i + 1)}`).join(' AND ');

/** Columns with a value (not an unchanged TOAST marker), sorted: rows with the same set share a statement. */
export const signatureColumns = (row: Row): string[] => Object.keys(row).filter((c) => row[c] !== undefined).sort();

/**
 * The columns an UPDATE must set: those with a value, except key columns that keep their value and
 * GENERATED ALWAYS identity columns not known to change (the destination refuses to set those; one that
 * does change stays in, and the destination refuses it loudly rather than the copy diverging).
 */
export function setColumnsOf(rel: RelationTarget, keyRow: Row, row: Row): string[] {
  return signatureColumns(row).filter((c) => {
    const unchanged = keyRow[c] === undefined || keyRow[c] === row[c];
    if (rel.keyColumns.includes(c)) return keyRow[c] !== row[c];
    return !(rel.alwaysIdentity.includes(c) && unchanged);
  });
}

export function multiInsert(rel: RelationTarget, columns: string[], rows: Row[]): Statement {
  const select = columns.map((c, i) => cast(rel, c, i + 1)).join(', ');
  let text = `INSERT INTO ${qualified(rel.target)} (${columns.map(ident).join(', ')}) OVERRIDING SYSTEM VALUE SELECT ${select} FROM ${unnestFrom(columns.length)}`;
  if (rel.keyIndexed) {
    // A row already on the destination with this key (conflictingTables "ignore") is overwritten.
    const set = columns.filter((c) => !rel.keyColumns.includes(c) && !rel.alwaysIdentity.includes(c));
    const action = set.length ? `UPDATE SET ${set.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(', ')}` : 'NOTHING';
    text += ` ON CONFLICT (${rel.keyColumns.map(ident).join(', ')}) DO ${action}`;
  }
  return { text, values: arrays(columns, rows) };
}

/** UPDATE of `setColumns` for rows identified by their (old) key. */
export function multiUpdate(rel: RelationTarget, setColumns: string[], entries: { keyRow: Row; row: Row }[]): Statement {
  const k = rel.keyColumns.length;
  const set = setColumns.map((c, i) => `${ident(c)} = ${cast(rel, c, k + i + 1)}`).join(', ');
  return {
    text: `UPDATE ${qualified(rel.target)} AS t SET ${set} FROM ${unnestFrom(k + setColumns.length)} WHERE ${keyMatch(rel)}`,
    values: [...arrays(rel.keyColumns, entries.map((e) => e.keyRow)), ...arrays(setColumns, entries.map((e) => e.row))],
  };
}

export function multiDelete(rel: RelationTarget, keyRows: Row[]): Statement {
  return {
    text: `DELETE FROM ${qualified(rel.target)} AS t USING ${unnestFrom(rel.keyColumns.length)} WHERE ${keyMatch(rel)}`,
    values: arrays(rel.keyColumns, keyRows),
  };
}

/**
 * Catch-up after a resumed full sync only (docs/full-sync.md): a key change is being replayed onto a
 * destination where the NEW key already exists, because its range was copied from a later snapshot that
 * already had the change. Removes that later copy — only when the row under the old key is there to be
 * moved — so the ordered UPDATE that follows moves the old row exactly as the source did.
 */
export function deleteKeyTakenByMove(rel: RelationTarget, keyRow: Row, row: Row): Statement {
  const n = rel.keyColumns.length;
  const match = (alias: string, offset: number): string =>
    rel.keyColumns.map((c, i) => `${alias}.${ident(c)} = $${offset + i + 1}::text::${columnType(rel, c)}`).join(' AND ');
  return {
    text: `DELETE FROM ${qualified(rel.target)} AS t WHERE ${match('t', 0)} AND EXISTS (SELECT 1 FROM ${qualified(rel.target)} AS o WHERE ${match('o', n)})`,
    values: [...rel.keyColumns.map((c) => (row[c] === undefined ? keyRow[c] : row[c]) ?? null), ...rel.keyColumns.map((c) => keyRow[c] ?? null)],
  };
}
