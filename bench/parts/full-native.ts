// The native anchor of the full benchmark: native logical replication's initial sync (copy_data) of a
// case's tables into destination tables created beforehand with their primary keys (anchors.sh's native
// row: pg_dump -s | psql, then CREATE SUBSCRIPTION, timed until every pg_subscription_rel row is 'r').
import type { BenchClusters } from './clusters';
import { checkpoint, resetDestination, rowCounts, type FullCase } from './full-cases';
import { say } from './log';
import { nativeInitialSync } from './native-run';
import { tableDefinition } from './schema-copy';
import { escapeIdentifier } from 'pg';

export interface NativeFullResult {
  /** CREATE TABLE (with keys) of all tables, before the clock. */
  createSeconds: number;
  /** CREATE SUBSCRIPTION -> all tables ready. */
  seconds: number;
}

export async function nativeFullRun(pg: BenchClusters, c: FullCase, timeoutMs: number): Promise<NativeFullResult> {
  await resetDestination(pg.dst, c);
  const ddl: string[] = [];
  for (const t of c.tables) ddl.push(await tableDefinition(pg.src, t, { schema: c.schema }));
  const t0 = Date.now();
  if (c.schema !== 'public') await pg.dst.query(`CREATE SCHEMA ${escapeIdentifier(c.schema)}`);
  for (const sql of ddl) await pg.dst.query(sql);
  const createSeconds = (Date.now() - t0) / 1000;
  await checkpoint(pg);
  try {
    const seconds = await nativeInitialSync(pg, { subscription: c.subscription, publication: c.publication, tables: c.tables.length, timeoutMs });
    const [a, b] = [await rowCounts(pg.src, c), await rowCounts(pg.dst, c)];
    const wrong = c.tables.filter((t) => a.get(t) !== b.get(t));
    if (wrong.length) throw new Error(`native initial sync left wrong row counts: ${wrong.slice(0, 5).map((t) => `${t} ${a.get(t)} -> ${b.get(t)}`).join(', ')}`);
    say(`  native initial sync: ${seconds.toFixed(2)} s (CREATE TABLE before it ${createSeconds.toFixed(2)} s)`);
    return { createSeconds, seconds };
  } finally {
    await pg.dst.query(`DROP SUBSCRIPTION IF EXISTS ${c.subscription}`);
  }
}
