// Copies one chunk (a key range of one table) from a source session inside the copy's snapshot into the
// destination with COPY, streaming: nothing holds more than the pipeline's buffers, whatever the row size.
// The caller owns the destination transaction; the chunk's progress row is written in it (full-sync.ts).
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client, ClientBase } from 'pg';
import { from as copyFrom, to as copyTo, type CopyStreamQuery } from 'pg-copy-streams';
import type { RateLimiter } from '../util/rate-limiter';
import { identList, ident, literal, qualified } from '../util/sql';
import { CopyRowCounter } from './copy-row-counter';
import { targetColumnsOf, type ChunkRange, type KeyColumn, type TablePlan } from './plan';

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

/** The conditions selecting a key range: a row comparison, so a composite key uses its btree index too. */
function rangeConditions(key: KeyColumn[], range: ChunkRange): string[] {
  const tuple = (items: string[]): string => (items.length === 1 ? items[0]! : `ROW(${items.join(', ')})`);
  const lhs = tuple(key.map((k) => ident(k.name)));
  const bound = (values: string[]): string => tuple(values.map((v, i) => `${literal(v)}::${key[i]!.type}`));
  const parts: string[] = [];
  if (range.lo) parts.push(`${lhs} >= ${bound(range.lo)}`);
  if (range.hi) parts.push(`${lhs} < ${bound(range.hi)}`);
  return parts;
}

/** WHERE clause selecting the range (empty for the whole table). */
export function rangePredicate(key: KeyColumn[], range: ChunkRange): string {
  return chunkPredicate(undefined, key, range);
}

/**
 * WHERE clause of one chunk's read: the table's row filter, parenthesised (it was checked to be one
 * self-contained expression, row-filter.ts), AND the chunk's key range. Empty when neither applies.
 */
export function chunkPredicate(filter: string | undefined, key: KeyColumn[], range: ChunkRange): string {
  const parts = [...(filter ? [`(${filter})`] : []), ...rangeConditions(key, range)];
  return parts.length ? ` WHERE ${parts.join(' AND ')}` : '';
}

export interface ChunkStatements {
  /** COPY ... TO STDOUT on the source: the source columns of the chunk's rows. */
  read: string;
  /** COPY ... FROM STDIN on the destination, straight into the table (under the destination names). */
  write: string;
}

/**
 * The COPY statements of one chunk. Reads name the source columns, writes the destination's (renamed)
 * ones, in the same order, so a renamed column lands in its new name and an excluded one is never read.
 */
export function chunkStatements(plan: TablePlan, range: ChunkRange): ChunkStatements {
  const format = plan.binary ? ' (FORMAT binary)' : '';
  const where = chunkPredicate(plan.where, plan.keyColumns, range);
  const from = qualified(plan.table.source);
  const columns = identList(plan.columns);
  // A whole ordinary table: COPY reads the heap directly, without the executor's per-row projection. A
  // filtered, split or partitioned table (whose root holds no rows of its own) needs the query form.
  const what = !where && plan.plainTable ? `${from} (${columns})` : `(SELECT ${columns} FROM ${from}${where})`;
  return {
    read: `COPY ${what} TO STDOUT${format}`,
    write: `COPY ${qualified(plan.table.target)} (${identList(targetColumnsOf(plan))}) FROM STDIN${format}`,
  };
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

/**
 * Starts `COPY ... FROM STDIN` on the destination and resolves once the server has accepted it (its
 * CopyInResponse): a missing table or column, or a missing privilege, fails here — before anything is
 * read from the source.
 */
async function startCopyIn(destination: ClientBase, sql: string): Promise<CopyStreamQuery> {
  const writer = destination.query(copyFrom(sql));
  const internal = writer as CopyStreamQuery & { handleCopyInResponse(connection: unknown): void };
  await new Promise<void>((resolve, reject) => {
    const accepted = internal.handleCopyInResponse.bind(internal);
    internal.handleCopyInResponse = (connection: unknown): void => {
      internal.handleCopyInResponse = accepted;
      writer.off('error', reject);
      accepted(connection);
      resolve();
    };
    writer.once('error', reject);
  });
  return writer;
}

/**
 * Copies one chunk. Everything on the destination that can fail before data flows (the staging table,
 * the conflict clause, the COPY itself) is set up first; only then is the source read. After a failure
 * the source session may still be inside its COPY (a stream that is not consumed holds the table's lock
 * and its transaction forever): the caller must end that session, not reuse it (full-sync.ts does).
 */
export async function copyChunk(source: Client, destination: Client, plan: TablePlan, range: ChunkRange, opts: ChunkCopyOptions): Promise<ChunkResult> {
  const statements = chunkStatements(plan, range);
  let bytes = 0;
  const meter = new ThrottledMeter(plan.binary, {
    ...opts,
    onData: (r, b) => {
      bytes += b;
      opts.onData(r, b);
    },
  });
  if (!opts.keepExisting) {
    const writer = await startCopyIn(destination, statements.write);
    await pipeline(source.query(copyTo(statements.read)), meter, writer);
    return { rows: writer.rowCount ?? 0, bytes };
  }
  // Stage into a temporary table, then insert what does not collide with rows already there. Everything
  // on this side uses the destination's column names.
  const target = qualified(plan.table.target);
  const columns = identList(targetColumnsOf(plan));
  const format = plan.binary ? ' (FORMAT binary)' : '';
  await destination.query(`CREATE TEMP TABLE pg_dts_stage ON COMMIT DROP AS SELECT ${columns} FROM ${target} WITH NO DATA`);
  const keep = await keepExistingClause(destination, target);
  const writer = await startCopyIn(destination, `COPY pg_dts_stage (${columns}) FROM STDIN${format}`);
  await pipeline(source.query(copyTo(statements.read)), meter, writer);
  const inserted = await destination.query(
    `INSERT INTO ${target} (${columns}) OVERRIDING SYSTEM VALUE SELECT ${columns} FROM pg_dts_stage s ${keep}`,
  );
  return { rows: inserted.rowCount ?? 0, bytes };
}

/**
 * How the staged rows skip keys the destination already has. ON CONFLICT without a target takes every
 * unique index as arbiter and PostgreSQL refuses that when one is DEFERRABLE: name the primary key (or
 * the first immediate plain unique index) instead; with none usable, compare every column of the
 * first unique index by hand.
 */
async function keepExistingClause(destination: ClientBase, target: string): Promise<string> {
  const { rows } = await destination.query<{ cols: string[]; immediate: boolean }>(
    `SELECT ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) AS cols,
            i.indimmediate AS immediate
       FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
      ORDER BY i.indimmediate DESC, i.indisprimary DESC, i.indexrelid`,
    [target],
  );
  const key = rows[0];
  if (!key) return 'ON CONFLICT DO NOTHING';
  if (key.immediate) return `ON CONFLICT (${identList(key.cols)}) DO NOTHING`;
  return `WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${key.cols.map((c) => `t.${ident(c)} = s.${ident(c)}`).join(' AND ')})`;
}
