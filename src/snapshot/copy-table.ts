// Streams one table from a source session (already inside the consistent snapshot) into the destination
// with COPY, without holding rows in memory: the pipeline's backpressure bounds what is buffered.
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client, ClientBase } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { SelectedTable } from '../catalog/names';
import { identList, qualified } from '../util/sql';

export interface CopyResult {
  rows: number;
  bytes: number;
}

/** Columns that carry data: generated columns are recomputed by the destination. */
export async function copyableColumns(source: ClientBase, table: SelectedTable): Promise<string[]> {
  const { rows } = await source.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
        AND attgenerated = '' ORDER BY attnum`,
    [qualified(table.source)],
  );
  return rows.map((r) => r.name);
}

export interface CopyOptions {
  /** Keep destination rows whose key already exists (conflictingTables = ignore) instead of failing. */
  keepExisting: boolean;
  onBytes?: (bytes: number) => void;
}

export async function copyTable(source: Client, destination: Client, table: SelectedTable, opts: CopyOptions): Promise<CopyResult> {
  const columns = identList(await copyableColumns(source, table));
  const target = qualified(table.target);
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      opts.onBytes?.(chunk.length);
      done(null, chunk);
    },
  });
  const reader = source.query(copyTo(`COPY (SELECT ${columns} FROM ${qualified(table.source)}) TO STDOUT`));
  if (!opts.keepExisting) {
    const writer = destination.query(copyFrom(`COPY ${target} (${columns}) FROM STDIN`));
    await pipeline(reader, meter, writer);
    return { rows: writer.rowCount ?? 0, bytes };
  }
  // Stage into a temporary table, then insert what does not collide with rows already there.
  await destination.query(`CREATE TEMP TABLE pg_dts_stage ON COMMIT DROP AS SELECT ${columns} FROM ${target} WITH NO DATA`);
  const writer = destination.query(copyFrom(`COPY pg_dts_stage (${columns}) FROM STDIN`));
  await pipeline(reader, meter, writer);
  const inserted = await destination.query(
    `INSERT INTO ${target} (${columns}) OVERRIDING SYSTEM VALUE SELECT ${columns} FROM pg_dts_stage ON CONFLICT DO NOTHING`,
  );
  return { rows: inserted.rowCount ?? 0, bytes };
}
