// Copies one chunk (a key range of one table) from a source session inside the copy's snapshot into the
// destination with COPY, streaming: nothing holds more than the pipeline's buffers, whatever the row size.
// The caller owns the destination transaction; the chunk's progress row is written in it (full-sync.ts).
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { RateLimiter } from '../util/rate-limiter';
import { identList, ident, literal, qualified } from '../util/sql';
import { CopyRowCounter } from './copy-row-counter';
import type { ChunkRange, KeyColumn, TablePlan } from './plan';

export interface ChunkResult {
  rows: number;
  bytes: number;
}

export interface ChunkCopyOptions {
  /** Keep destination rows whose key already exists (conflictingTables = ignore) instead of failing. */
  keepExisting: boolean;
  limiter: RateLimiter;
  /** Called as data passes: rows started and bytes read since the last call. */
  onData: (rows: number, bytes: number) => void;
}

/** WHERE clause selecting the range: a row comparison, so a composite key uses its btree index too. */
export function rangePredicate(key: KeyColumn[], range: ChunkRange): string {
  const tuple = (items: string[]): string => (items.length === 1 ? items[0]! : `ROW(${items.join(', ')})`);
  const lhs = tuple(key.map((k) => ident(k.name)));
  const bound = (values: string[]): string => tuple(values.map((v, i) => `${literal(v)}::${key[i]!.type}`));
  const parts: string[] = [];
  if (range.lo) parts.push(`${lhs} >= ${bound(range.lo)}`);
  if (range.hi) parts.push(`${lhs} < ${bound(range.hi)}`);
  return parts.length ? ` WHERE ${parts.join(' AND ')}` : '';
}

/** Counts rows and bytes as they pass and, when a limit is set, holds the stream to it (backpressure). */
class ThrottledMeter extends Transform {
  private readonly counter: CopyRowCounter;
  constructor(binary: boolean, private readonly opts: ChunkCopyOptions) {
    super();
    this.counter = new CopyRowCounter(binary);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const rows = this.counter.push(chunk);
    this.opts.onData(rows, chunk.length);
    if (!this.opts.limiter.limited) return done(null, chunk);
    this.opts.limiter.take(rows, chunk.length).then(() => done(null, chunk), done);
  }
}

export async function copyChunk(source: Client, destination: Client, plan: TablePlan, range: ChunkRange, opts: ChunkCopyOptions): Promise<ChunkResult> {
  const columns = identList(plan.columns);
  const target = qualified(plan.table.target);
  const format = plan.binary ? ' (FORMAT binary)' : '';
  const where = rangePredicate(plan.keyColumns, range);
  const from = qualified(plan.table.source);
  // A whole ordinary table: COPY reads the heap directly, without the executor's per-row projection.
  const what = !where && plan.plainTable ? `${from} (${columns})` : `(SELECT ${columns} FROM ${from}${where})`;
  const reader = source.query(copyTo(`COPY ${what} TO STDOUT${format}`));
  let bytes = 0;
  const meter = new ThrottledMeter(plan.binary, {
    ...opts,
    onData: (r, b) => {
      bytes += b;
      opts.onData(r, b);
    },
  });
  if (!opts.keepExisting) {
    const writer = destination.query(copyFrom(`COPY ${target} (${columns}) FROM STDIN${format}`));
    await pipeline(reader, meter, writer);
    return { rows: writer.rowCount ?? 0, bytes };
  }
  // Stage into a temporary table, then insert what does not collide with rows already there.
  await destination.query(`CREATE TEMP TABLE pg_dts_stage ON COMMIT DROP AS SELECT ${columns} FROM ${target} WITH NO DATA`);
  const writer = destination.query(copyFrom(`COPY pg_dts_stage (${columns}) FROM STDIN${format}`));
  await pipeline(reader, meter, writer);
  const inserted = await destination.query(
    `INSERT INTO ${target} (${columns}) OVERRIDING SYSTEM VALUE SELECT ${columns} FROM pg_dts_stage ON CONFLICT DO NOTHING`,
  );
  return { rows: inserted.rowCount ?? 0, bytes };
}
