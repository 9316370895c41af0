// The lower bound of a full sync, as anchors.sh measures it: the destination tables are created without
// their primary key; then, one table after another, `COPY t TO STDOUT (FORMAT binary)` on the source is
// piped into `COPY t FROM STDIN (FORMAT binary)` on the destination; then the primary keys are built.
// The clock covers the copies and the key builds (not CREATE TABLE, which is reported on its own).
//   psql  two psql processes joined by a shell pipe per table, exactly as anchors.sh (each table pays two
//         process starts and two connections, a few ms)
//   node  pg-copy-streams in this process over one session per side (what a Node.js tool could do at best)
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { escapeIdentifier } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { BenchClusters } from './clusters';
import { checkpoint, qualifiedName, resetDestination, rowCounts, type FullCase } from './full-cases';
import type { RawPipeMethod } from './full-config';
import { say } from './log';
import { pgClientBinDir } from './pgbench';
import { tableDefinition } from './schema-copy';
import { primaryKey } from './tables';

export interface RawPipeResult {
  method: RawPipeMethod;
  /** CREATE TABLE (without keys) of all tables: not part of `seconds`. */
  createSeconds: number;
  copySeconds: number;
  keySeconds: number;
  /** copy + key build: the anchor. */
  seconds: number;
}

function psqlPipe(pg: BenchClusters, table: string): Promise<void> {
  const psql = join(pgClientBinDir(), 'psql');
  return new Promise((resolve, reject) => {
    // The SQL travels in environment variables, so nothing needs shell quoting.
    const child = spawn('bash', ['-c', 'set -o pipefail; "$PSQL" -X -q -v ON_ERROR_STOP=1 -p "$SRC_PORT" -c "$OUT_SQL" | "$PSQL" -X -q -v ON_ERROR_STOP=1 -p "$DST_PORT" -c "$IN_SQL"'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        PSQL: psql, PGHOST: '127.0.0.1', PGUSER: 'postgres', PGDATABASE: 'postgres',
        SRC_PORT: String(pg.source.port), DST_PORT: String(pg.destination.port),
        OUT_SQL: `COPY ${table} TO STDOUT (FORMAT binary)`, IN_SQL: `COPY ${table} FROM STDIN (FORMAT binary)`,
      },
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql pipe of ${table} exited ${code}: ${err.trim()}`))));
  });
}

export async function rawPipeRun(pg: BenchClusters, c: FullCase, method: RawPipeMethod): Promise<RawPipeResult> {
  await resetDestination(pg.dst, c);
  // Everything read from the catalog is read before the clock starts.
  const ddl: string[] = [];
  const keys: string[] = [];
  for (const t of c.tables) {
    ddl.push(await tableDefinition(pg.src, t, { schema: c.schema, withKey: false }));
    keys.push(`ALTER TABLE ${qualifiedName(c.schema, t)} ADD PRIMARY KEY (${(await primaryKey(pg.src, t, c.schema)).map(escapeIdentifier).join(', ')})`);
  }
  const src = await pg.source.client();
  const dst = await pg.destination.client();
  try {
    const t0 = Date.now();
    if (c.schema !== 'public') await dst.query(`CREATE SCHEMA ${escapeIdentifier(c.schema)}`);
    for (const sql of ddl) await dst.query(sql);
    const created = Date.now();
    await checkpoint(pg);

    const t1 = Date.now();
    for (const t of c.tables) {
      const name = qualifiedName(c.schema, t);
      if (method === 'psql') {
        await psqlPipe(pg, name);
      } else {
        const reader = src.query(copyTo(`COPY ${name} TO STDOUT (FORMAT binary)`));
        const writer = dst.query(copyFrom(`COPY ${name} FROM STDIN (FORMAT binary)`));
        await pipeline(reader, writer);
      }
    }
    const t2 = Date.now();
    for (const sql of keys) await dst.query(sql);
    const t3 = Date.now();

    // Not timed: every table arrived whole.
    const [a, b] = [await rowCounts(pg.src, c), await rowCounts(pg.dst, c)];
    const wrong = c.tables.filter((t) => a.get(t) !== b.get(t));
    if (wrong.length) throw new Error(`raw pipe (${method}) copied wrong row counts: ${wrong.slice(0, 5).map((t) => `${t} ${a.get(t)} -> ${b.get(t)}`).join(', ')}`);
    const r: RawPipeResult = {
      method,
      createSeconds: (created - t0) / 1000,
      copySeconds: (t2 - t1) / 1000,
      keySeconds: (t3 - t2) / 1000,
      seconds: (t3 - t1) / 1000,
    };
    say(`  raw pipe (${method}): ${r.seconds.toFixed(2)} s = copy ${r.copySeconds.toFixed(2)} + primary keys ${r.keySeconds.toFixed(2)} (CREATE TABLE before it ${r.createSeconds.toFixed(2)} s)`);
    return r;
  } finally {
    await src.end().catch(() => undefined);
    await dst.end().catch(() => undefined);
  }
}
