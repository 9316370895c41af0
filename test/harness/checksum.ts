// Row-level comparison: an ordered checksum of every row's text form, per table.
import type { Client } from 'pg';

export async function tableChecksum(db: Client, table: string, orderBy: string): Promise<{ rows: number; md5: string }> {
  const r = await db.query(
    `SELECT count(*)::int AS rows, coalesce(md5(string_agg(t::text, E'\\n' ORDER BY ${orderBy})), '') AS md5 FROM ${table} t`,
  );
  return r.rows[0];
}

export async function checksums(db: Client, tables: Record<string, string>): Promise<Record<string, { rows: number; md5: string }>> {
  const out: Record<string, { rows: number; md5: string }> = {};
  for (const [table, orderBy] of Object.entries(tables)) out[table] = await tableChecksum(db, table, orderBy);
  return out;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Waits until source and destination hold exactly the same rows in every listed table. */
export async function waitForConvergence(source: Client, destination: Client, tables: Record<string, string>, timeoutMs = 60_000): Promise<void> {
  let src: unknown;
  let dst: unknown;
  try {
    await waitFor('destination = source', async () => {
      src = await checksums(source, tables);
      dst = await checksums(destination, tables);
      return JSON.stringify(src) === JSON.stringify(dst);
    }, timeoutMs, 500);
  } catch (err) {
    const diffs = [];
    for (const [table, orderBy] of Object.entries(tables)) diffs.push(await rowDifferences(source, destination, table, orderBy));
    throw new Error(`${(err as Error).message}\nsource:      ${JSON.stringify(src)}\ndestination: ${JSON.stringify(dst)}\n${diffs.filter(Boolean).join('\n')}`);
  }
}

/** The first rows that differ between the two sides (by the ordering key), to say *what* diverged. */
export async function rowDifferences(source: Client, destination: Client, table: string, orderBy: string, limit = 5): Promise<string> {
  const read = async (db: Client): Promise<Map<string, string>> => {
    const { rows } = await db.query(`SELECT row(${orderBy})::text AS k, t::text AS v FROM ${table} t`);
    return new Map(rows.map((r) => [r.k as string, r.v as string]));
  };
  const [a, b] = [await read(source), await read(destination)];
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`  ${table} ${k}: source ${v} / destination ${b.get(k) ?? '(missing)'}`);
  for (const [k, v] of b) if (!a.has(k)) out.push(`  ${table} ${k}: source (missing) / destination ${v}`);
  return out.length ? `${table}: ${out.length} row(s) differ\n${out.slice(0, limit).join('\n')}` : '';
}
