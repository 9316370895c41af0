// Incremental sync: streams pgoutput from the task's slot and applies it through the Applier until
// stopped. Resumes from the destination's replication-origin progress, so a crash anywhere neither
// loses nor repeats a change.
import { Client, type ClientConfig } from 'pg';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { Applier, appliedTables, DEFAULT_APPLIER_LIMITS, type ApplierStats } from '../apply/applier';
import type { Mapping, SelectedTable, TableRef } from '../catalog/names';
import { partitionRootSql } from '../catalog/partition-sql';
import { qualified } from '../util/sql';
import { connectApplier, withClient } from '../conn/connect';
import { logger } from '../log';
import { formatLsn, maxLsn, parseLsn, type Lsn } from '../util/lsn';
import { heartbeatPrefix, heartbeatTime, newHeartbeatKey, startSourceHeartbeat, type SourceSample } from './heartbeat';
import { FastPgoutputDecoder } from './pgoutput-fast';
import { ensureOrigin, originProgress } from './replication-objects';
import { ddlMessagePrefix } from '../ddl/capture';
import type { DdlStats } from '../ddl/ddl-log';
import { ensureRecopyStore, openRecopies } from './recopy-requests';
import { SerialFeed } from './serial-feed';
import { SourceRowFilter } from './row-filter-source';
import type { LagClock } from '../util/lag-clock';

export type { LagClock } from '../util/lag-clock';

/** A change this large is refused rather than held in memory (PostgreSQL allows values up to 1 GB). */
export const MAX_CHANGE_BYTES = 256 * 1024 * 1024;

export class ChangeTooLargeError extends Error {
  constructor(readonly table: string, readonly lsn: string, readonly bytes: number, limit: number) {
    super(`a single change to ${table} at LSN ${lsn} is ${bytes} bytes, over the ${limit}-byte limit; ` +
      'shrink that row on the source (or exclude the table) and restart the task');
    this.name = 'ChangeTooLarge';
  }
}

/**
 * pgoutput with column values kept as the text the source sent (the library would run pg's type
 * parsers: Date, float, JSON …, which lose precision and change representations), decoded by the fast
 * decoder for row changes. It also records each message's size on the wire, for byte rates, throttling
 * and the size limit.
 */
class RawTextPgoutputPlugin extends PgoutputPlugin {
  private readonly decoder = new FastPgoutputDecoder((buf) => {
    const msg = super.parse(buf);
    if (msg.tag === 'relation') for (const c of msg.columns) c.parser = (raw: unknown) => raw;
    return msg;
  });

  override parse(buffer: Buffer): Pgoutput.Message {
    const msg = this.decoder.decode(buffer) as SizedMessage;
    msg.wireBytes = buffer.length;
    return msg;
  }

  /** pgoutput before 14 refuses a `messages` option even when false: it is sent only when wanted. */
  override start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    if (this.options.messages) return super.start(client, slotName, lastLsn);
    const options = [`proto_version '${this.options.protoVersion}'`, `publication_names '${this.options.publicationNames.join(',')}'`];
    return client.query(`START_REPLICATION SLOT "${slotName}" LOGICAL ${lastLsn} (${options.join(', ')})`);
  }
}

/** The top of the partition tree a source table is in, read from the source's catalog now (null: none). */
async function partitionRootOn(source: ClientConfig, ref: TableRef): Promise<TableRef | null> {
  return withClient(source, async (c) => {
    const { rows } = await c.query<{ schema: string; name: string }>(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = ${partitionRootSql('to_regclass($1)')}`, [qualified(ref)]);
    return rows[0] ?? null;
  });
}

/** The replication connection's socket: pausing it is how the stream pushes back on the walsender. */
function replicationSocket(service: LogicalReplicationService): { pause(): void; resume(): void } {
  // pg-logical-replication 2.5.0 keeps the pg connection in `_connection` (its own flow control pauses
  // the same socket); checked at runtime so a library upgrade that moves it fails loudly, not silently.
  const stream = (service as unknown as { _connection?: { stream?: { pause(): void; resume(): void } } })._connection?.stream;
  if (!stream || typeof stream.pause !== 'function') throw new Error('pg-logical-replication internals changed: no replication socket to pause');
  return stream;
}

type SizedMessage = Pgoutput.Message & { wireBytes?: number };

/**
 * Confirms `lsn` as flushed. The library reports `lsn + 1`, which for a commit end LSN would also confirm
 * a transaction whose commit record starts exactly there, and the server would skip it after a restart.
 * Passing `lsn - 1` makes it report exactly `lsn`, as native subscribers do.
 */
function sendFeedback(service: LogicalReplicationService, lsn: Lsn): void {
  if (lsn > 0n) void service.acknowledge(formatLsn(lsn - 1n));
}

export interface IncrementalOptions {
  source: ClientConfig;
  destination: ClientConfig;
  slot: string;
  publication: string;
  origin: string;
  taskId: string;
  tables: SelectedTable[];
  /** Names and per-table rules (the spec's objects, nameCase, renameRules). */
  mapping: Mapping;
  signal: AbortSignal;
  maxChangeBytes?: number;
  heartbeatMs?: number;
  /** Catch-up window after a resumed full sync (ApplierOptions.catchUpUntil), as an LSN string. */
  catchUpUntil?: string | null;
  /** Awaited for every row change before it is applied: the throttle. */
  beforeChange?: (bytes: number) => Promise<void> | void;
  /**
   * Stop once every transaction whose commit starts before this LSN has been applied (a catch-up stream
   * handing a table over to the main stream at exactly that point). Absent: stream until aborted.
   */
  stopAt?: string;
  /** Serve only `tables`: no adoption of tables created in schemas selected whole (a catch-up stream). */
  listedTablesOnly?: boolean;
  /** Tables being copied again: left to the copy (ApplierOptions.suspended). */
  suspended?: string[];
  /** Where an earlier attempt left the lag clock (its last lagState()). */
  lagFrom?: LagClock;
  /** Called once the source has accepted START_REPLICATION: the stream is attached (first figures exist). */
  onAttached?: () => void;
}

export interface IncrementalStats extends ApplierStats {
  sourceLsn: string | null;
  receivedLsn: string | null;
  confirmedLsn: string | null;
  retainedWalBytes: number | null;
  lagSeconds: number;
  ddl: DdlStats;
  /** This attempt's work committed on the destination (what the task's totals add up). */
  committed: { rows: number; bytes: number; transactions: number; ddlApplied: number; ignoredMessages: number };
  lagClock: LagClock;
  /** Keys this attempt replaced at a repair's place in the stream (`pg-dts verify --repair`). */
  repairedKeys?: number;
}

export class IncrementalStream {
  private applier?: Applier;
  /** As the library reports it; parsed only when asked (a BigInt per message adds up). */
  private receivedLsn: string | null = null;
  private confirmedLsn: Lsn | null = null;
  private sample: SourceSample | null = null;
  private lastHeartbeatMs: number | null = null;
  /** The applier is set up (destination connected, origin read): stats from here on are this attempt's. */
  connected = false;

  private lagFrom: LagClock | undefined;

  constructor(private readonly opts: IncrementalOptions) {
    this.lagFrom = opts.lagFrom;
  }

  /** Where an earlier stream left the lag clock, when it is known only after the start (asked of the workflow). */
  carryLagFrom(clock: LagClock | undefined): void {
    this.lagFrom ??= clock;
  }

  stats(): IncrementalStats {
    const a = this.applier;
    const now = Date.now();
    const clock = this.lagState();
    // Lag, on the source's clock: the age of the oldest change received but not yet applied (or that an
    // earlier attempt was stuck on); when none is here but the source has WAL past what is applied, the
    // age of the newest transaction applied — so a stream that applies nothing (stuck on a statement,
    // retrying, the source's WAL not reaching it) shows its lag growing. The newest heartbeat that arrived
    // is a floor when the source cannot be sampled (less one interval: heartbeats are periodic).
    const sourceNow = now + clock.clockOffsetMs;
    const applied = [clock.appliedLsn, this.confirmedLsn === null ? null : formatLsn(this.confirmedLsn)].filter((l): l is string => l !== null);
    const behind = clock.sourceLsn !== null && (applied.length === 0 || applied.every((l) => parseLsn(l) < parseLsn(clock.sourceLsn!)));
    const since = clock.oldestUnappliedMs ?? (behind ? clock.appliedCommitMs : null);
    const hbInterval = this.opts.heartbeatMs ?? 1000;
    const stale = this.lastHeartbeatMs === null ? 0 : now - this.lastHeartbeatMs - 2 * hbInterval;
    const lagMs = Math.max(0, since === null ? 0 : sourceNow - since, stale);
    return {
      ...(a?.stats ?? { appliedLsn: null, transactions: 0, rows: 0, bytes: 0, skippedTransactions: 0, missingRows: 0, catchUpMissingRows: 0, replayedBatches: 0, batches: 0, ignoredColumns: [] }),
      sourceLsn: this.sample?.sourceLsn ?? null,
      receivedLsn: this.receivedLsn === null ? null : formatLsn(parseLsn(this.receivedLsn)),
      confirmedLsn: this.confirmedLsn === null ? null : formatLsn(this.confirmedLsn),
      retainedWalBytes: this.sample?.retainedWalBytes ?? null,
      lagSeconds: lagMs / 1000,
      ddl: a?.ddlLog.stats ?? { applied: 0, refused: 0, refusedBy: {}, recent: [] },
      committed: this.committed(),
      lagClock: clock,
      ...(a?.repairedKeys ? { repairedKeys: a.repairedKeys } : {}),
    };
  }

  /** What the lag is measured from; carried to the next attempt (heartbeat details, workflow status). */
  lagState(): LagClock {
    const a = this.applier;
    const carried = this.lagFrom;
    const appliedLsn = a?.stats.appliedLsn ?? carried?.appliedLsn ?? null;
    // The carried times hold while the applied position is still the one they were measured at.
    const same = carried !== undefined && carried.appliedLsn === appliedLsn;
    return {
      appliedLsn,
      appliedCommitMs: a?.committed.commitMs ?? (same ? carried.appliedCommitMs : null),
      oldestUnappliedMs: a?.oldestPendingCommitMs ?? (same ? carried.oldestUnappliedMs : null),
      sourceLsn: this.sample?.sourceLsn ?? carried?.sourceLsn ?? null,
      clockOffsetMs: this.sample?.clockOffsetMs ?? carried?.clockOffsetMs ?? 0,
    };
  }

  private committed(): IncrementalStats['committed'] {
    const a = this.applier;
    if (!a) return { rows: 0, bytes: 0, transactions: 0, ddlApplied: 0, ignoredMessages: 0 };
    const ddl = a.ddlLog.confirmed(a.stats.appliedLsn);
    return { rows: a.committed.rows, bytes: a.committed.bytes, transactions: a.committed.transactions, ddlApplied: ddl.applied, ignoredMessages: ddl.ignoredMessages };
  }

  /** Streams until the signal aborts (resolves) or something fails (rejects). */
  async run(): Promise<void> {
    const { opts } = this;
    const db = await connectApplier(opts.destination);
    const service = new LogicalReplicationService(opts.source, {
      // Never let the library acknowledge on its own: it would confirm data not yet applied.
      acknowledge: { auto: false, timeoutSeconds: 0 },
      // Backpressure is the SerialFeed's (below), which awaits only when the applier has to wait.
      flowControl: { enabled: false },
    });
    const prefix = heartbeatPrefix(opts.taskId);
    const heartbeatKey = newHeartbeatKey();
    const maxChangeBytes = opts.maxChangeBytes ?? MAX_CHANGE_BYTES;
    let stopHeartbeat: (() => Promise<void>) | undefined;
    let rowFilter: SourceRowFilter | undefined;
    try {
      const version = await sourceVersion(opts.source);
      const messages = version >= 140000;
      const plugin = new RawTextPgoutputPlugin({ protoVersion: 1, publicationNames: [opts.publication], messages });
      // Where a replayed DDL records that its table must be copied again (before the origin is bound).
      if (!opts.listedTablesOnly) await ensureRecopyStore(db);
      await ensureOrigin(db, opts.origin);
      await db.query('SELECT pg_replication_origin_session_setup($1)', [opts.origin]);
      const progress = await originProgress(db, opts.origin);
      const start = progress ? parseLsn(progress) : null;
      this.confirmedLsn = start;
      const acknowledge = (lsn: Lsn): void => {
        this.confirmedLsn = this.confirmedLsn === null ? lsn : maxLsn(this.confirmedLsn, lsn);
        sendFeedback(service, this.confirmedLsn);
      };
      let fail: (err: unknown) => void = () => undefined;
      const applier = new Applier(db, appliedTables(opts.mapping, opts.tables), {
        ...DEFAULT_APPLIER_LIMITS,
        appliedUpTo: start,
        catchUpUntil: opts.catchUpUntil ? parseLsn(opts.catchUpUntil) : null,
        // DDL travels as rows of the task's capture table (capture.ts), on every supported source.
        ddl: {
          prefix: ddlMessagePrefix(opts.taskId), mapping: opts.mapping, taskId: opts.taskId, adopt: !opts.listedTablesOnly,
          sourceTablesOf: (schema: string) => withClient(opts.source, async (c) => (await c.query<{ name: string; oid: number }>(
            `SELECT c.relname AS name, c.oid::int8 AS oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition`, [schema])).rows.map((r) => ({ name: r.name, oid: Number(r.oid) }))),
        },
        ...(version < 130000 ? { partitionRootOf: (ref: TableRef) => partitionRootOn(opts.source, ref) } : {}),
        // No publication row filters before 15: the source evaluates each filter over the decoded rows.
        ...(version < 150000 ? { evaluateRowFilter: (rowFilter = new SourceRowFilter(opts.source)).evaluate } : {}),
        origin: opts.origin,
        suspended: opts.suspended,
        onCommitted: acknowledge,
        onFailure: (err) => fail(err),
      });
      // Requests recorded by an earlier attempt are reported again until a copy answers them.
      if (!opts.listedTablesOnly) for (const r of await openRecopies(db, opts.taskId)) applier.ddlLog.requestRecopy(r);
      this.applier = applier;
      this.connected = true;
      const failed = new Promise<never>((_, reject) => {
        fail = reject;
        service.on('error', (err: Error) => reject(err));
      });
      const stopAt = opts.stopAt === undefined ? null : parseLsn(opts.stopAt);
      let reachedStop: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => (reachedStop = resolve));
      let stopping = false;
      const handle = ([lsn, msg]: [string, Pgoutput.Message]): Promise<void> | void => {
        this.receivedLsn = lsn;
        if (stopping) return;
        // The first transaction committing at or after the stop point belongs to the next stream.
        if (stopAt !== null && msg.tag === 'begin' && parseLsn(msg.commitLsn ?? '0/0') >= stopAt) {
          stopping = true;
          reachedStop();
          return;
        }
        const bytes = (msg as SizedMessage).wireBytes ?? 0;
        if (msg.tag === 'insert' || msg.tag === 'update' || msg.tag === 'delete') {
          if (bytes > maxChangeBytes) throw new ChangeTooLargeError(`${msg.relation.schema}.${msg.relation.name}`, lsn, bytes, maxChangeBytes);
          const throttled = opts.beforeChange?.(bytes);
          if (throttled) return throttled.then(() => applier.handle(msg, bytes));
        } else if (msg.tag === 'message') {
          const ts = heartbeatTime(prefix, heartbeatKey, msg);
          if (ts !== null) this.lastHeartbeatMs = ts;
        }
        return applier.handle(msg, bytes);
      };
      let socket: { pause(): void; resume(): void } | null = null;
      const feed = new SerialFeed(handle, () => socket?.pause(), () => socket?.resume(), (err) => fail(err));
      service.on('start', () => {
        socket = replicationSocket(service);
        opts.onAttached?.();
      });
      service.on('data', (lsn: string, msg: Pgoutput.Message) => feed.push([lsn, msg]));
      // Drained: every message received has been applied, committed and acknowledged.
      const drained = (): boolean => feed.idle && applier.idle;
      service.on('heartbeat', (lsn: string, _ts: number, shouldRespond: boolean) => {
        if (!shouldRespond) return;
        // The keepalive's LSN is what the server has sent so far. Confirm it only when drained;
        // otherwise re-confirm what is durably applied.
        if (drained()) acknowledge(parseLsn(lsn));
        else if (this.confirmedLsn !== null) sendFeedback(service, this.confirmedLsn);
      });
      // A keepalive says how far the walsender has decoded: past the stop point with nothing pending,
      // every transaction committed before it has been applied.
      if (stopAt !== null) {
        service.on('heartbeat', (lsn: string) => {
          if (drained() && parseLsn(lsn) >= stopAt) {
            stopping = true;
            reachedStop();
          }
        });
      }
      stopHeartbeat = startSourceHeartbeat({
        source: opts.source, slot: opts.slot, prefix, key: heartbeatKey, intervalMs: opts.heartbeatMs ?? 1000,
        onSample: (s) => void (this.sample = s),
      });
      const aborted = new Promise<void>((resolve) => {
        if (opts.signal.aborted) resolve();
        opts.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      const streaming = service.subscribe(plugin, opts.slot, start === null ? '0/0' : formatLsn(start)).then(() => {
        if (!opts.signal.aborted) throw new Error('the source ended the replication stream');
      });
      logger.info({ slot: opts.slot, from: start === null ? 'slot start' : formatLsn(start) }, 'incremental stream started');
      // Whichever settles first decides; the others must not surface later as unhandled rejections.
      failed.catch(() => undefined);
      streaming.catch(() => undefined);
      const outcome = await Promise.race([aborted.then(() => 'aborted'), failed, streaming.then(() => 'ended'), stopped.then(() => 'stopped')]);
      // Stopping: commit what is complete, so the next run starts exactly after it. At a stop point the
      // caller takes "returned" for "everything before it is applied" (a table handed over to the main
      // stream there): a batch that fails to commit must fail the stream, not pass for caught up.
      if (outcome === 'stopped' && !opts.signal.aborted) await applier.drain();
      else await applier.drain().catch(() => undefined);
    } finally {
      await stopHeartbeat?.();
      await service.destroy().catch(() => undefined);
      await this.applier?.rollback();
      await rowFilter?.close(); // after the applier's last write, which may still evaluate
      await db.end().catch(() => undefined);
    }
  }
}

async function sourceVersion(config: ClientConfig): Promise<number> {
  const c = new Client(config);
  await c.connect();
  try {
    return Number((await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v);
  } finally {
    await c.end();
  }
}
