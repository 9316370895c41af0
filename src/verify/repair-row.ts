// The control row of `pg-dts verify --repair` (docs/verification.md, "Repair"): the rows of some keys of
// one table as the source had them at one position, written into the task's capture table on the source
// in the transaction that read them (under row locks), so the stream replaces those destination rows at
// exactly that position. Pure: building and strict parsing (test/unit/verify-repair.test.ts).
//
// The row is trusted only because it comes from the task's own capture table, which only the task's source
// user can write; it is still checked field by field, and nothing in it is ever run as SQL: values travel
// as parameters, names are matched against the task's selection and the destination's catalog.
import type { TableRef } from '../catalog/names';

/** Keys per control row: the row stays small (well under the stream's per-change limit). */
export const REPAIR_KEYS_PER_ROW = 500;
/** Differing keys of one table beyond which repair is refused: copying the table again is the better tool. */
export const MAX_REPAIR_KEYS = 100_000;

export interface RepairRequest {
  /** The source table (as the task selects it). */
  table: TableRef;
  /** Its key columns (source names), the order of each entry of `keys`. */
  keyColumns: string[];
  /** The source columns of each image, in order; they include every key column. */
  columns: string[];
  /** The keys asked for (text of each key column): each destination row with one of these keys is replaced. */
  keys: string[][];
  /** The images of the keys whose source row exists and passes the task's row filter (values as text, null = NULL). */
  rows: (string | null)[][];
}

/** What the capture table's `captured` column holds for a repair. */
export interface CapturedRepair {
  repair: RepairRequest;
}

export const isCapturedRepair = (x: unknown): x is CapturedRepair => !!x && typeof x === 'object' && 'repair' in x;

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 63;
const isNameList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isName) && new Set(v).size === v.length;

/** The key text of one key, the same for a requested key and an image's key columns. */
export const keyText = (values: readonly (string | null)[]): string => JSON.stringify(values);

/**
 * The repair carried by a capture row, checked strictly, or what is wrong with it (a sentence naming the
 * field). Extra fields are refused too: a row this release did not write is not replayed.
 */
export function parseRepair(x: unknown): RepairRequest | string {
  if (!isCapturedRepair(x) || Object.keys(x).length !== 1) return 'not a repair row';
  const r = x.repair as unknown as Record<string, unknown>;
  if (!r || typeof r !== 'object' || Array.isArray(r)) return 'repair: not an object';
  const extra = Object.keys(r).filter((k) => !['table', 'keyColumns', 'columns', 'keys', 'rows'].includes(k));
  if (extra.length) return `repair: unknown field(s) ${extra.join(', ')}`;
  const table = r.table as Record<string, unknown> | null;
  if (!table || typeof table !== 'object' || !isName(table.schema) || !isName(table.name) || Object.keys(table).length !== 2) {
    return 'repair.table: must be { schema, name }';
  }
  if (!isNameList(r.keyColumns) || !r.keyColumns.length) return 'repair.keyColumns: must be a non-empty list of distinct column names';
  if (!isNameList(r.columns)) return 'repair.columns: must be a list of distinct column names';
  const columns = r.columns;
  const keyIndexes = r.keyColumns.map((k) => columns.indexOf(k));
  if (keyIndexes.some((i) => i < 0)) return 'repair.columns: must include every key column';
  const width = r.keyColumns.length;
  if (!Array.isArray(r.keys) || !r.keys.length || r.keys.length > REPAIR_KEYS_PER_ROW) return `repair.keys: must list 1 to ${REPAIR_KEYS_PER_ROW} keys`;
  if (!r.keys.every((k) => Array.isArray(k) && k.length === width && k.every((v) => typeof v === 'string'))) {
    return `repair.keys: each key must be ${width} text value(s), no NULL`;
  }
  const keys = r.keys as string[][];
  const asked = new Set(keys.map(keyText));
  if (asked.size !== keys.length) return 'repair.keys: a key is listed twice';
  if (!Array.isArray(r.rows) || r.rows.length > keys.length) return 'repair.rows: must be a list of at most one image per key';
  const seen = new Set<string>();
  for (const row of r.rows as unknown[]) {
    if (!Array.isArray(row) || row.length !== columns.length || !row.every((v) => v === null || typeof v === 'string')) {
      return `repair.rows: each image must be ${columns.length} value(s), text or NULL`;
    }
    const k = keyText(keyIndexes.map((i) => row[i] as string | null));
    if (!asked.has(k)) return 'repair.rows: an image whose key was not asked for';
    if (seen.has(k)) return 'repair.rows: two images of one key';
    seen.add(k);
  }
  return { table: { schema: table.schema, name: table.name }, keyColumns: r.keyColumns, columns, keys, rows: r.rows as (string | null)[][] };
}

/**
 * A repair under destination names: the mapped key columns, the key rows to delete and the images to insert
 * (excluded columns and columns the destination lacks left out, like the stream's own writes). A string
 * when the table cannot be repaired this way (a key column excluded or missing on the destination).
 */
export function mapRepair(
  req: RepairRequest,
  mapColumn: (sourceColumn: string) => string | null,
  destinationHas: (column: string) => boolean,
): { keyColumns: string[]; keyRows: Record<string, string>[]; columns: string[]; rows: Record<string, string | null>[] } | string {
  const keyColumns: string[] = [];
  for (const k of req.keyColumns) {
    const to = mapColumn(k);
    if (to === null || !destinationHas(to)) return `key column ${k} of ${req.table.schema}.${req.table.name} is excluded or missing on the destination`;
    keyColumns.push(to);
  }
  const kept = req.columns.map((c, i) => ({ i, to: mapColumn(c) })).filter((c): c is { i: number; to: string } => c.to !== null && destinationHas(c.to));
  return {
    keyColumns,
    keyRows: req.keys.map((k) => Object.fromEntries(keyColumns.map((c, i) => [c, k[i]!]))),
    columns: kept.map((c) => c.to),
    rows: req.rows.map((row) => Object.fromEntries(kept.map((c) => [c.to, row[c.i] ?? null]))),
  };
}
