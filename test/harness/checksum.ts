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
    throw new Error(`${(err as Error).message}\nsource:      ${JSON.stringify(src)}\ndestination: ${JSON.stringify(dst)}`);
  }
}
