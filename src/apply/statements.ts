// Builds the destination statements for row changes. Values travel as text parameters, exactly as the
// source printed them, so every type round-trips without a JavaScript conversion in between.
import type { TableRef } from '../catalog/names';
import { ident, qualified } from '../util/sql';

export type Row = Record<string, string | null | undefined>;

export interface Statement {
  text: string;
  values: (string | null)[];
}

/** Columns present in a tuple; `undefined` marks an unchanged TOAST value that must not be overwritten. */
const presentColumns = (row: Row): string[] => Object.keys(row).filter((c) => row[c] !== undefined);

export function insertStatement(target: TableRef, row: Row): Statement {
  const cols = presentColumns(row);
  const params = cols.map((_, i) => `$${i + 1}`);
  return {
    // OVERRIDING SYSTEM VALUE: identity columns take the source's value, as they must.
    text: `INSERT INTO ${qualified(target)} (${cols.map(ident).join(', ')}) OVERRIDING SYSTEM VALUE VALUES (${params.join(', ')})`,
    values: cols.map((c) => row[c] ?? null),
  };
}

function whereKey(keyColumns: string[], keyRow: Row, offset: number): { sql: string; values: (string | null)[] } {
  return {
    sql: keyColumns.map((c, i) => `${ident(c)} = $${offset + i + 1}`).join(' AND '),
    values: keyColumns.map((c) => keyRow[c] ?? null),
  };
}

export function updateStatement(target: TableRef, keyColumns: string[], keyRow: Row, row: Row): Statement | null {
  const cols = presentColumns(row);
  if (cols.length === 0) return null;
  const where = whereKey(keyColumns, keyRow, cols.length);
  return {
    text: `UPDATE ${qualified(target)} SET ${cols.map((c, i) => `${ident(c)} = $${i + 1}`).join(', ')} WHERE ${where.sql}`,
    values: [...cols.map((c) => row[c] ?? null), ...where.values],
  };
}

export function deleteStatement(target: TableRef, keyColumns: string[], keyRow: Row): Statement {
  const where = whereKey(keyColumns, keyRow, 0);
  return { text: `DELETE FROM ${qualified(target)} WHERE ${where.sql}`, values: where.values };
}

export function truncateStatement(targets: TableRef[], restartIdentity: boolean): Statement {
  return { text: `TRUNCATE ${targets.map(qualified).join(', ')}${restartIdentity ? ' RESTART IDENTITY' : ''}`, values: [] };
}
