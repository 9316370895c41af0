// Destination = source, row for row: per table, the row count and an md5 over the md5 of every row's
// text form in primary-key order (hashing per row first keeps the aggregated string at 32 bytes a row,
// so a 2 M-row table stays far below PostgreSQL's 1 GB value limit). Column order must match, which both
// schema-copy.ts and pg-dts's schema phase preserve.
import type { Client } from 'pg';
import { escapeIdentifier } from 'pg';
import { pollUntil } from './wait';
import { primaryKey } from './tables';

export interface Digest {
  rows: number;
  md5: string;
}

export async function tableDigest(db: Client, table: string, key: string[], schema = 'public'): Promise<Digest> {
  const order = key.map(escapeIdentifier).join(', ');
  const r = await db.query<{ rows: string; md5: string | null }>(
    `SELECT count(*)::text AS rows, md5(string_agg(md5(t::text), '' ORDER BY ${order})) AS md5 FROM ${escapeIdentifier(schema)}.${escapeIdentifier(table)} t`,
  );
  return { rows: Number(r.rows[0].rows), md5: r.rows[0].md5 ?? '' };
}

export async function digests(db: Client, keys: Map<string, string[]>, schema = 'public'): Promise<Record<string, Digest>> {
  const out: Record<string, Digest> = {};
  for (const [table, key] of keys) out[table] = await tableDigest(db, table, key, schema);
  return out;
}

/**
 * Waits until every table's digest matches on both sides (the subscriber may still be applying the tail
 * of the steady-state load) and returns the total row count compared.
 */
export async function waitForEqualTables(src: Client, dst: Client, tables: readonly string[], timeoutMs: number, schema = 'public'): Promise<number> {
  const keys = new Map<string, string[]>();
  for (const t of tables) keys.set(t, await primaryKey(src, t, schema));
  let last = '';
  return pollUntil(
    'destination = source (ordered md5 per table)',
    async () => {
      const [a, b] = [await digests(src, keys, schema), await digests(dst, keys, schema)];
      const diff = tables.filter((t) => a[t].rows !== b[t].rows || a[t].md5 !== b[t].md5);
      last = diff.map((t) => `${t} source ${a[t].rows} rows/${a[t].md5.slice(0, 8)} destination ${b[t].rows} rows/${b[t].md5.slice(0, 8)}`).join('; ');
      return diff.length ? false : tables.reduce((n, t) => n + a[t].rows, 0);
    },
    { timeoutMs, everyMs: 1000, progress: () => last, progressEveryMs: 10_000 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${last}`);
  });
}
