// The data sets of `npm run bench -- full`, loaded once on the source, and what each side needs to know
// about them: which tables, in which schema, under which publication, selected how in a pg-dts spec.
//   pgbench  pgbench -i -s SCALE, pgbench_history with a bigserial primary key (as the incremental bench)
//   small    bench_small.t0001 … t1000: many small tables, where per-table costs dominate
//   wide     bench_wide.wide: 100 columns of mixed types, where per-value encoding costs dominate
import type { Client } from 'pg';
import { escapeIdentifier, escapeLiteral } from 'pg';
import type { BenchClusters } from './clusters';
import type { FullCaseName, FullConfig } from './full-config';
import { say } from './log';
import { pgbench } from './pgbench';
import { addHistoryKey, PGBENCH_TABLES } from './tables';

export interface FullCase {
  name: FullCaseName | 'warmup';
  /** One line describing the data. */
  title: string;
  schema: string;
  tables: string[];
  /** Rows on the source, all tables together. */
  rows: number;
  /** For the native side. */
  publication: string;
  subscription: string;
  /** The pg-dts spec's `objects`. */
  objects: unknown[];
  /** A psql pipe costs two processes and two connections per table: not used for many small tables. */
  psqlPipe: boolean;
  /** Tables whose ordered md5 is compared after a pg-dts run (all tables' row counts are compared). */
  md5Tables: string[];
}

const q = escapeIdentifier;
export const qualifiedName = (schema: string, table: string): string => `${q(schema)}.${q(table)}`;

async function tableRows(src: Client, schema: string, tables: string[]): Promise<number> {
  const r = await src.query<{ n: string }>(`SELECT (${tables.map((t) => `(SELECT count(*) FROM ${qualifiedName(schema, t)})`).join(' + ')})::text AS n`);
  return Number(r.rows[0].n);
}

async function setupPgbench(pg: BenchClusters, cfg: FullConfig): Promise<FullCase> {
  const init = await pgbench(pg.source.port, ['-i', '-s', String(cfg.scale), '-q']);
  await addHistoryKey(pg.src);
  const tables = [...PGBENCH_TABLES];
  await pg.src.query(`CREATE PUBLICATION bench_full_pgbench FOR TABLE ${tables.map((t) => qualifiedName('public', t)).join(', ')}`);
  say(`  pgbench: scale ${cfg.scale} in ${init.seconds.toFixed(1)} s; pgbench_history.hid added as primary key`);
  return {
    name: 'pgbench',
    title: `pgbench scale ${cfg.scale} (4 tables)`,
    schema: 'public',
    tables,
    rows: await tableRows(pg.src, 'public', tables),
    publication: 'bench_full_pgbench',
    subscription: 'bench_full_pgbench',
    objects: [{ schema: 'public', tables }],
    psqlPipe: true,
    md5Tables: tables,
  };
}

async function setupSmall(pg: BenchClusters, cfg: FullConfig): Promise<FullCase> {
  const started = Date.now();
  const schema = 'bench_small';
  const width = Math.max(4, String(cfg.smallTables).length);
  const tables = Array.from({ length: cfg.smallTables }, (_, i) => `t${String(i + 1).padStart(width, '0')}`);
  await pg.src.query(`CREATE SCHEMA ${schema}`);
  // One transaction per 100 tables keeps the lock table small.
  for (let i = 0; i < tables.length; i += 100) {
    const sql = tables.slice(i, i + 100).map((t, j) => {
      const name = qualifiedName(schema, t);
      return `CREATE TABLE ${name} (id int PRIMARY KEY, name text NOT NULL, qty int, price numeric(10,2), created timestamptz);
        INSERT INTO ${name} SELECT g, 'item ' || g || ' of ${i + j + 1}', g % 7, round((g * 1.25)::numeric, 2),
          timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour' FROM generate_series(1, ${cfg.smallRows}) g;`;
    });
    await pg.src.query(`BEGIN; ${sql.join('\n')} COMMIT;`);
  }
  await pg.src.query(`CREATE PUBLICATION bench_full_small FOR TABLES IN SCHEMA ${schema}`);
  say(`  small: ${cfg.smallTables} tables × ${cfg.smallRows} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // md5 of every 50th table (and the last): the row counts of all of them are compared anyway.
  const md5Tables = tables.filter((_, i) => i % 50 === 0 || i === tables.length - 1);
  return {
    name: 'small',
    title: `${cfg.smallTables} small tables × ${cfg.smallRows} rows`,
    schema,
    tables,
    rows: cfg.smallTables * cfg.smallRows,
    publication: 'bench_full_small',
    subscription: 'bench_full_small',
    objects: [{ schema }],
    psqlPipe: false,
    md5Tables,
  };
}

/** Column types of the wide table, in turn; each with the expression that fills it from g (row) and k (column). */
const WIDE_TYPES: { type: string; value: (k: number) => string }[] = [
  { type: 'integer', value: (k) => `(g * 7 + ${k}) % 1000000` },
  { type: 'bigint', value: (k) => `g::bigint * 1000003 + ${k}` },
  { type: 'text', value: (k) => `CASE WHEN (g + ${k}) % 10 = 0 THEN NULL ELSE md5((g + ${k})::text) END` },
  { type: 'numeric(14,4)', value: (k) => `round((g * 1.37 + ${k})::numeric / 3, 4)` },
  { type: 'timestamptz', value: (k) => `timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' + ${k} * interval '1 minute'` },
  { type: 'jsonb', value: (k) => `jsonb_build_object('id', g, 'col', ${k}, 'tag', 't' || (g % 17), 'ok', (g + ${k}) % 2 = 0)` },
  { type: 'boolean', value: (k) => `(g + ${k}) % 3 = 0` },
  { type: 'double precision', value: (k) => `g / ${k + 1}.0::float8` },
  { type: 'date', value: (k) => `date '2020-01-01' + (g + ${k}) % 2000` },
  { type: 'varchar(40)', value: (k) => `'v' || (g * ${k + 3}) % 100003` },
];

async function setupWide(pg: BenchClusters, cfg: FullConfig): Promise<FullCase> {
  const started = Date.now();
  const schema = 'bench_wide';
  const table = 'wide';
  const cols = Array.from({ length: cfg.wideColumns - 1 }, (_, i) => ({ name: `c${String(i + 1).padStart(3, '0')}`, ...WIDE_TYPES[i % WIDE_TYPES.length], k: i + 1 }));
  const name = qualifiedName(schema, table);
  await pg.src.query(`CREATE SCHEMA ${schema}`);
  await pg.src.query(`CREATE TABLE ${name} (id bigint PRIMARY KEY, ${cols.map((c) => `${c.name} ${c.type}`).join(', ')})`);
  await pg.src.query(`INSERT INTO ${name} SELECT g, ${cols.map((c) => c.value(c.k)).join(', ')} FROM generate_series(1, ${cfg.wideRows}) g`);
  await pg.src.query(`CREATE PUBLICATION bench_full_wide FOR TABLE ${name}`);
  const size = await pg.src.query<{ s: string }>(`SELECT pg_size_pretty(pg_table_size($1::regclass)) AS s`, [name]);
  say(`  wide: ${cfg.wideRows} rows × ${cfg.wideColumns} columns (${size.rows[0].s}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    name: 'wide',
    title: `1 table × ${cfg.wideColumns} columns (${[...new Set(cols.map((c) => c.type.replace(/\(.*/, '')))].join('/')}) × ${cfg.wideRows} rows`,
    schema,
    tables: [table],
    rows: cfg.wideRows,
    publication: 'bench_full_wide',
    subscription: 'bench_full_wide',
    objects: [{ schema, tables: [table] }],
    psqlPipe: true,
    md5Tables: [table],
  };
}

/**
 * Loads the selected cases on the source, then VACUUM (FREEZE, ANALYZE): hint bits and visibility are set
 * once here, so no side pays for them on its first read of the fresh data.
 */
export async function setupFullCases(pg: BenchClusters, cfg: FullConfig): Promise<FullCase[]> {
  const cases: FullCase[] = [];
  for (const name of cfg.cases) {
    if (name === 'pgbench') cases.push(await setupPgbench(pg, cfg));
    if (name === 'small') cases.push(await setupSmall(pg, cfg));
    if (name === 'wide') cases.push(await setupWide(pg, cfg));
  }
  await pg.src.query('VACUUM (FREEZE, ANALYZE)');
  await pg.src.query('CHECKPOINT');
  return cases;
}

/** Removes a case's tables from the destination, so the next side starts from nothing. */
export async function resetDestination(dst: Client, c: FullCase): Promise<void> {
  if (c.schema !== 'public') {
    await dst.query(`DROP SCHEMA IF EXISTS ${q(c.schema)} CASCADE`);
    return;
  }
  await dst.query(`DROP TABLE IF EXISTS ${c.tables.map((t) => qualifiedName(c.schema, t)).join(', ')} CASCADE`);
  // A sequence pg-dts created (pgbench_history_hid_seq) goes with its table, unless it was not OWNED BY.
  await dst.query(`DROP SEQUENCE IF EXISTS public.pgbench_history_hid_seq`);
}

/**
 * CHECKPOINT on both clusters before a timed side, so that no side pays for a checkpoint of the WAL the
 * previous side wrote (2 M rows are several hundred MB of WAL; max_wal_size is 4 GB, so a checkpoint
 * would otherwise come at a time that depends on what ran before).
 */
export async function checkpoint(pg: BenchClusters): Promise<void> {
  await Promise.all([pg.src.query('CHECKPOINT'), pg.dst.query('CHECKPOINT')]);
}

/** Row counts of every table of a case on one side, in one query. */
export async function rowCounts(db: Client, c: FullCase): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  // Batches of 200 tables keep each statement reasonable.
  for (let i = 0; i < c.tables.length; i += 200) {
    const part = c.tables.slice(i, i + 200);
    const r = await db.query<{ t: string; n: string }>(
      part.map((t) => `SELECT ${escapeLiteral(t)} AS t, count(*)::text AS n FROM ${qualifiedName(c.schema, t)}`).join(' UNION ALL '),
    );
    for (const row of r.rows) out.set(row.t, Number(row.n));
  }
  return out;
}
