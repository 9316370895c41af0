// The SQL a verification runs, the same on both servers over the mapped projection: on the source the
// source columns (row filter applied) in destination order, on the destination their mapped names. A row
// is represented by ROW(<columns>)::text: NULL is an empty field and '' is "", float8 -0 is '-0', so
// the representation tells apart what must be told apart (docs/verification.md). Output settings that
// change text forms (time zone, date and interval styles, float digits, bytea) are pinned per session.
import { types, type ClientBase } from 'pg';
import type { ChunkRange, KeyColumn } from '../snapshot/plan';
import { ident, literal, qualified } from '../util/sql';
import type { VerifyTable } from './types';

/** Settings both sessions run with, so one value has one text form on both servers. */
export const SESSION_SETTINGS = [
  `SET TimeZone = 'UTC'`,
  `SET DateStyle = 'ISO, YMD'`,
  `SET IntervalStyle = 'postgres'`,
  `SET extra_float_digits = 1`,
  `SET bytea_output = 'hex'`,
  `SET default_transaction_read_only = on`,
  `SET search_path = ''`,
];

export async function prepareSession(db: ClientBase): Promise<void> {
  await db.query(SESSION_SETTINGS.join('; '));
}

export type Side = 'source' | 'destination';

interface SideShape {
  from: string;
  columns: string[];
  key: KeyColumn[];
  filter?: string;
  floatBits?: number[];
}

export function sideShape(t: VerifyTable, side: Side): SideShape {
  const bits = t.floatBits?.length ? { floatBits: t.floatBits } : {};
  return side === 'source'
    ? { from: qualified(t.table.source), columns: t.sourceColumns, key: t.sourceKey, ...(t.where ? { filter: t.where } : {}), ...bits }
    : { from: qualified(t.table.target), columns: t.targetColumns, key: t.targetKey, ...bits };
}

const tuple = (items: string[]): string => (items.length === 1 ? items[0]! : `ROW(${items.join(', ')})`);

/** WHERE clause: the row filter (source only) AND the key range, bounds cast to this side's key types. */
export function rangeWhere(shape: SideShape, range: ChunkRange): string {
  const parts: string[] = shape.filter ? [`(${shape.filter})`] : [];
  if (shape.key.length) {
    const lhs = tuple(shape.key.map((k) => `t.${ident(k.name)}`));
    const bound = (values: string[]): string => tuple(values.map((v, i) => `${literal(v)}::${shape.key[i]!.type}`));
    if (range.lo) parts.push(`${lhs} >= ${bound(range.lo)}`);
    if (range.hi) parts.push(`${lhs} < ${bound(range.hi)}`);
  }
  return parts.length ? ` WHERE ${parts.join(' AND ')}` : '';
}

/** The row's text: every projected column, in order, NULL distinct from ''. */
const rowText = (shape: SideShape): string =>
  `ROW(${shape.columns.map((c, i) => (shape.floatBits?.includes(i) ? `float8send(t.${ident(c)}::float8)` : `t.${ident(c)}`)).join(', ')})::text`;

/**
 * The 64-bit hash of a row text the checksum sums. hashtextextended (the hash of hash partitioning) costs
 * about half of md5 plus its hex-to-bigint conversion, which is most of a checksum's time; but it is
 * PostgreSQL 11+ and its value depends on the server's byte order, so it is used only when both servers
 * give the same values for probe strings (rowHashFunctionOf), and md5's first 64 bits otherwise.
 */
export type RowHashFunction = 'hashtextextended' | 'md5';

const rowHash = (row: string, fn: RowHashFunction): string =>
  fn === 'hashtextextended' ? `hashtextextended((${row}) COLLATE "C", 0)` : `('x' || left(md5(${row}), 16))::bit(64)::bigint`;

const HASH_PROBES = ['', 'p', 'pg-dts: one 64-bit row hash on both servers, byte for byte?'];

/** hashtextextended when both servers compute it alike (see RowHashFunction), else md5. */
export async function rowHashFunctionOf(source: ClientBase, destination: ClientBase): Promise<RowHashFunction> {
  const probe = async (db: ClientBase): Promise<string | null> => {
    const sql = `SELECT ${HASH_PROBES.map((p, i) => `hashtextextended(${literal(p)} COLLATE "C", 0)::text AS h${i}`).join(', ')}`;
    return db.query(sql).then((r) => JSON.stringify(r.rows[0]), () => null); // PostgreSQL 10: no such function
  };
  const [s, d] = [await probe(source), await probe(destination)];
  return s !== null && s === d ? 'hashtextextended' : 'md5';
}

/**
 * Count, order-independent checksum (sum of each row text's 64-bit hash, as numeric: no overflow) and
 * bytes of one range. Count mode skips the hash; the bytes, which only a byte throttle needs, cost a
 * second row text per row (PostgreSQL builds the expression again), so they are summed only when asked.
 */
export function aggregateSql(shape: SideShape, range: ChunkRange, withHash: boolean, hashFn: RowHashFunction = 'md5', withBytes = withHash): string {
  const row = rowText(shape);
  const hash = withHash ? `coalesce(sum(${rowHash(row, hashFn)}), 0)::text` : `''`;
  const bytes = withHash && withBytes ? `coalesce(sum(octet_length(${row})), 0)::text` : `'0'`;
  return `SELECT count(*)::text AS rows, ${hash} AS hash, ${bytes} AS bytes FROM ${shape.from} t${rangeWhere(shape, range)}`;
}

const keyArray = (shape: SideShape): string => `ARRAY[${shape.key.map((k) => `t.${ident(k.name)}::text`).join(', ')}]`;

/** Every row of a range: its key's text (a text[] literal, the comparison's id) and its row text's md5. */
export function rowHashesSql(shape: SideShape, range: ChunkRange): string {
  return `SELECT ${keyArray(shape)}::text AS kt, md5(${rowText(shape)}) AS h FROM ${shape.from} t${rangeWhere(shape, range)}`;
}

/** node-postgres's parser of text[] (type oid 1009; its typings list only the scalar types' oids). */
const parseTextArray = (types.getTypeParser as (oid: number) => (literal: string) => string[])(1009);

/** The key values of a key text of rowHashesSql, parsed as node-postgres parses a text[] column. */
export const keyOfText = (kt: string): string[] => parseTextArray(kt);

/** The row texts of some keys of a range (by the key text of rowHashesSql): the values a report shows. */
export function rowTextsSql(shape: SideShape, range: ChunkRange): string {
  const where = rangeWhere(shape, range);
  return `SELECT ${keyArray(shape)}::text AS kt, ${rowText(shape)} AS r FROM ${shape.from} t${where}${where ? ' AND' : ' WHERE'} ${keyArray(shape)}::text = ANY ($1::text[])`;
}

export const currentLsnSql = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';
