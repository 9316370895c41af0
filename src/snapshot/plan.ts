// The copy plan: for every selected table, the columns to copy, the COPY format, size estimates and the
// key ranges (chunks) it is split into. Made once per task, inside the consistent snapshot, and stored on
// the destination (progress-store.ts): a resumed copy must use the very same ranges, because "chunk 3 is
// done" only means something if chunk 3 still covers the same keys.
//
// Chunks are ranges of the table's key (PK, or the non-null unique index precheck accepted), never CTID
// ranges: a key stays in its range whatever happens to the row, so after a crash the unfinished ranges
// can be copied from a NEW snapshot and the stream's catch-up converges (docs/full-sync.md). A CTID range
// loses rows that an update moved from an unfinished range into a finished one.
import type { ClientBase } from 'pg';
import { columnMapper, rowFilterOf, tableKey, type ColumnMapper, type Mapping, type SelectedTable } from '../catalog/names';
import { assertRowFilter } from '../catalog/row-filter';
import { qualified } from '../util/sql';
import { attgeneratedSql, serverVersionNum } from '../catalog/server-version';

export interface KeyColumn {
  name: string;
  /** format_type() with search_path = '' (schema-qualified user types), to cast range bounds. */
  type: string;
}

/** A key range [lo, hi): null bound = open. Values are the key columns' text forms. */
export interface ChunkRange {
  lo: string[] | null;
  hi: string[] | null;
}

export interface TablePlan {
  /** source "schema.name": the table's id in progress records and status. */
  key: string;
  table: SelectedTable;
  /** Source columns read, in order: every non-generated column the spec does not exclude. */
  columns: string[];
  /** Their destination names, same order (the spec's column renames); absent: the same as `columns`. */
  targetColumns?: string[];
  /** The spec's row filter (source column names), ANDed with each chunk's key range; checked when planned. */
  where?: string;
  keyColumns: KeyColumn[];
  binary: boolean;
  estimatedRows: number;
  estimatedBytes: number;
  chunks: ChunkRange[];
  /**
   * An ordinary table (relkind r) without row security or row filter: unsplit, it is read with `COPY t TO`,
   * cheaper than a query. A partitioned table (relkind p) has no rows of its own and is always queried.
   */
  plainTable?: boolean;
}

/** The destination column names of a plan (plans stored before renames existed have none). */
export const targetColumnsOf = (plan: TablePlan): string[] => plan.targetColumns ?? plan.columns;

export interface PlanOptions {
  chunkRows: number;
  chunkBytes: number;
  /** Binary COPY is used only where the destination's column types are the source's (see binaryEligible). */
  destinationColumns: Map<string, ColumnInfo[]>;
  sameMajorVersion: boolean;
  /** The spec's names and per-table rules (column renames and exclusions, row filters); absent: none. */
  mapping?: Mapping;
}

export interface ColumnInfo {
  name: string;
  typeOid: number;
  type: string;
  generated: boolean;
}

/** OIDs below this are built into PostgreSQL and identical in every cluster (FirstNormalObjectId). */
const FIRST_USER_OID = 16384;
/** Pages read by the boundary sample (TABLESAMPLE SYSTEM reads whole pages). */
const SAMPLE_PAGES = 400;
const BLOCK_SIZE = 8192;

/** Columns of many tables in one round trip, in attnum order. `names` are qualified table names. */
export async function readColumns(db: ClientBase, names: string[]): Promise<Map<string, ColumnInfo[]>> {
  const version = await serverVersionNum(db);
  const { rows } = await db.query<{ ord: string; name: string; type_oid: number; type: string; generated: boolean }>(
    `SELECT t.ord::text AS ord, a.attname AS name, a.atttypid::int AS type_oid,
            format_type(a.atttypid, a.atttypmod) AS type, ${attgeneratedSql(version)} <> '' AS generated
       FROM unnest($1::text[]) WITH ORDINALITY AS t(name, ord)
       JOIN pg_attribute a ON a.attrelid = t.name::regclass AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY t.ord, a.attnum`,
    [names],
  );
  const out = new Map<string, ColumnInfo[]>(names.map((n) => [n, []]));
  for (const r of rows) out.get(names[Number(r.ord) - 1]!)!.push({ name: r.name, typeOid: r.type_oid, type: r.type, generated: r.generated });
  return out;
}

/**
 * Binary COPY is several times cheaper to produce and parse than text, but its wire format embeds type
 * OIDs (arrays, records) and differs per type: use it only when every copied column is a built-in type
 * (same OID in every cluster) that the destination column (under its mapped name) has too, between
 * servers of one major version. Excluded columns (mapped to null) are not copied, so they do not count.
 */
export function binaryEligible(
  source: ColumnInfo[],
  destination: ColumnInfo[] | undefined,
  sameMajorVersion: boolean,
  mapColumn: ColumnMapper = (c) => c,
): boolean {
  if (!sameMajorVersion || !destination) return false;
  const dst = new Map(destination.map((c) => [c.name, c]));
  return source
    .filter((c) => !c.generated && mapColumn(c.name) !== null)
    .every((c) => {
      const d = dst.get(mapColumn(c.name)!);
      return c.typeOid < FIRST_USER_OID && d?.typeOid === c.typeOid && !d.generated;
    });
}

/**
 * Checks every selected table's row filter against its source columns (the parser check of row-filter.ts);
 * throws RowFilterError for the first bad one. Run before anything is created on the source.
 */
export async function checkRowFilters(db: ClientBase, tables: SelectedTable[], mapping: Mapping): Promise<void> {
  const filtered = tables.flatMap((t) => {
    const where = rowFilterOf(mapping, t.source);
    return where ? [{ t, where }] : [];
  });
  if (!filtered.length) return;
  const columns = await readColumns(db, filtered.map(({ t }) => qualified(t.source)));
  for (const { t, where } of filtered) await assertRowFilter(t.source, where, columns.get(qualified(t.source))!.map((c) => c.name));
}

async function readKeyColumns(db: ClientBase, names: string[]): Promise<Map<string, KeyColumn[]>> {
  const { rows } = await db.query<{ ord: string; name: string; type: string }>(
    `SELECT t.ord::text AS ord, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM unnest($1::text[]) WITH ORDINALITY AS t(name, ord)
       CROSS JOIN LATERAL (
         SELECT i.indkey::int2[] AS cols, i.indnkeyatts FROM pg_index i
          WHERE i.indrelid = t.name::regclass AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
            AND NOT EXISTS (SELECT 1 FROM pg_attribute n WHERE n.attrelid = i.indrelid AND n.attnum = ANY (i.indkey) AND NOT n.attnotnull)
          ORDER BY i.indisprimary DESC, i.indnkeyatts, i.indexrelid LIMIT 1) k
       CROSS JOIN LATERAL unnest(k.cols) WITH ORDINALITY AS kc(attnum, pos)
       JOIN pg_attribute a ON a.attrelid = t.name::regclass AND a.attnum = kc.attnum
      WHERE kc.pos <= k.indnkeyatts
      ORDER BY t.ord, kc.pos`,
    [names],
  );
  const out = new Map<string, KeyColumn[]>(names.map((n) => [n, []]));
  for (const r of rows) out.get(names[Number(r.ord) - 1]!)!.push({ name: r.name, type: r.type });
  return out;
}

interface SizeInfo {
  relkind: string;
  /** Row-level security: `COPY t TO` refuses such a table, a query applies the policies. */
  rls: boolean;
  reltuples: number;
  heapBytes: number;
  totalBytes: number;
}

/**
 * Size facts per table. A partitioned table (relkind p) stores nothing itself: its estimates are the sums
 * over its leaf partitions (reltuples unknown, -1, when any leaf was never analyzed), so it is split and
 * sampled like an ordinary table of that size. pg_inherits, not pg_partition_tree: works before PG 12 too.
 */
async function readSizes(db: ClientBase, names: string[]): Promise<Map<string, SizeInfo>> {
  const { rows } = await db.query<{ ord: string; relkind: string; rls: boolean; reltuples: number; heap: string; total: string }>(
    `SELECT t.ord::text AS ord, c.relkind::text AS relkind, c.relrowsecurity AS rls,
            CASE WHEN c.relkind = 'p' THEN p.reltuples ELSE c.reltuples::float8 END AS reltuples,
            (CASE WHEN c.relkind = 'p' THEN p.heap ELSE pg_relation_size(c.oid) END)::text AS heap,
            (CASE WHEN c.relkind = 'p' THEN p.total ELSE pg_table_size(c.oid) END)::text AS total
       FROM unnest($1::text[]) WITH ORDINALITY AS t(name, ord) JOIN pg_class c ON c.oid = t.name::regclass
       LEFT JOIN LATERAL (
         WITH RECURSIVE tree(oid) AS (SELECT c.oid UNION ALL SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.oid)
         SELECT CASE WHEN coalesce(bool_and(l.reltuples >= 0), true) THEN coalesce(sum(l.reltuples), 0)::float8 ELSE -1 END AS reltuples,
                coalesce(sum(pg_relation_size(l.oid)), 0) AS heap, coalesce(sum(pg_table_size(l.oid)), 0) AS total
           FROM tree JOIN pg_class l ON l.oid = tree.oid WHERE l.relkind <> 'p') p ON c.relkind = 'p'`,
    [names],
  );
  return new Map(rows.map((r) => [names[Number(r.ord) - 1]!, { relkind: r.relkind, rls: r.rls, reltuples: r.reltuples, heapBytes: Number(r.heap), totalBytes: Number(r.total) }]));
}

/**
 * Range bounds from a page sample of the key: `parts - 1` cut points at the sample's quantiles, so the
 * chunks hold about the same number of rows whatever the key's distribution. Also estimates the row
 * count, for tables never analyzed (reltuples = -1).
 */
async function sampleBounds(db: ClientBase, name: string, key: KeyColumn[], size: SizeInfo, parts: number): Promise<{ cuts: string[][]; rows: number }> {
  const pages = Math.max(1, Math.ceil(size.heapBytes / BLOCK_SIZE));
  const percent = Math.min(100, (100 * SAMPLE_PAGES) / pages);
  // Ordered by the key itself, not its text (in text order '10' < '9'): cuts must follow the key's order.
  // The references are qualified because a bare name in ORDER BY would mean the (text) output column.
  const cols = key.map((k, i) => `src.${quoteIdent(k.name)}::text AS k${i + 1}`).join(', ');
  const order = key.map((k) => `src.${quoteIdent(k.name)}`).join(', ');
  const { rows } = await db.query({ text: `SELECT ${cols} FROM ${name} AS src TABLESAMPLE SYSTEM (${percent}) ORDER BY ${order}`, rowMode: 'array' });
  const sample = rows as string[][];
  const cuts: string[][] = [];
  for (let i = 1; i < parts && sample.length; i++) {
    const cut = sample[Math.floor((i * sample.length) / parts)]!;
    const prev = cuts[cuts.length - 1];
    if (!prev || prev.join('\u0000') !== cut.join('\u0000')) cuts.push(cut);
  }
  return { cuts, rows: Math.round((sample.length * 100) / percent) };
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export function rangesFromCuts(cuts: string[][]): ChunkRange[] {
  const ranges: ChunkRange[] = [];
  let lo: string[] | null = null;
  for (const cut of cuts) {
    ranges.push({ lo, hi: cut });
    lo = cut;
  }
  ranges.push({ lo, hi: null });
  return ranges;
}

/** Plans every table; `db` should be a session inside the copy's snapshot (the sample then matches it). */
export async function planTables(db: ClientBase, tables: SelectedTable[], opts: PlanOptions): Promise<TablePlan[]> {
  // search_path '' makes format_type() qualify user types, so range bounds cast to the right type.
  await db.query(`SET search_path = ''`);
  try {
    const names = tables.map((t) => qualified(t.source));
    const [columns, keys, sizes] = [await readColumns(db, names), await readKeyColumns(db, names), await readSizes(db, names)];
    const plans: TablePlan[] = [];
    for (const [i, table] of tables.entries()) {
      const name = names[i]!;
      const size = sizes.get(name)!;
      const key = keys.get(name)!;
      const src = columns.get(name)!;
      const where = opts.mapping && rowFilterOf(opts.mapping, table.source);
      // The filter is embedded in every chunk's query: checked here too, not only by the precheck.
      if (where) await assertRowFilter(table.source, where, src.map((c) => c.name));
      const mapColumn: ColumnMapper = opts.mapping ? columnMapper(opts.mapping, table.source) : (c) => c;
      const copied = src.filter((c) => !c.generated && mapColumn(c.name) !== null).map((c) => c.name);
      const targetColumns = copied.map((c) => mapColumn(c)!);
      let estimatedRows = Math.max(0, size.reltuples);
      // Bytes incl. TOAST: a table of few huge values is split by size, not by its handful of rows.
      const wanted = Math.max(Math.ceil(estimatedRows / opts.chunkRows), Math.ceil(size.totalBytes / opts.chunkBytes), 1);
      let chunks: ChunkRange[] = [{ lo: null, hi: null }];
      if (key.length && (wanted > 1 || size.reltuples < 0)) {
        const sampled = await sampleBounds(db, name, key, size, wanted);
        if (size.reltuples < 0) estimatedRows = sampled.rows;
        const parts = Math.max(Math.ceil(estimatedRows / opts.chunkRows), Math.ceil(size.totalBytes / opts.chunkBytes), 1);
        if (parts === wanted) chunks = rangesFromCuts(sampled.cuts);
        else if (parts > 1) chunks = rangesFromCuts((await sampleBounds(db, name, key, size, parts)).cuts);
      }
      plans.push({
        key: tableKey(table.source),
        table,
        columns: copied,
        ...(targetColumns.some((c, j) => c !== copied[j]) ? { targetColumns } : {}),
        ...(where ? { where } : {}),
        keyColumns: key,
        binary: binaryEligible(src, opts.destinationColumns.get(tableKey(table.source)), opts.sameMajorVersion, mapColumn),
        // Estimates stay those of the whole table, filtered or not: counting the matching rows would
        // cost a scan per table before the copy starts (docs/row-filters.md).
        estimatedRows,
        estimatedBytes: size.totalBytes,
        chunks,
        plainTable: size.relkind === 'r' && !size.rls && !where,
      });
    }
    return plans;
  } finally {
    await db.query('RESET search_path');
  }
}
