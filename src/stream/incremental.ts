// Incremental sync: streams pgoutput from the task's slot and applies it through the Applier until
// stopped. Resumes from the destination's replication-origin progress, so a crash anywhere neither
// loses nor repeats a change.
import type { ClientConfig } from 'pg';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { Applier, type ApplierStats } from '../apply/applier';
import { tableKey, type SelectedTable } from '../catalog/names';
import { connectApplier } from '../conn/connect';
import { logger } from '../log';
import { formatLsn, maxLsn, parseLsn, type Lsn } from '../util/lsn';
import { ensureOrigin, originProgress } from './replication-objects';

/**
 * pgoutput with column values kept as the text the source sent. The library would otherwise run pg's
 * type parsers (Date, float, JSON …), which lose precision and change representations.
 * Parsers are replaced while the relation message is parsed, before any row of that relation is.
 */
class RawTextPgoutputPlugin extends PgoutputPlugin {
  parsed = 0;
  override parse(buffer: Buffer): Pgoutput.Message {
    const msg = super.parse(buffer);
    this.parsed++;
    if (msg.tag === 'relation') for (const c of msg.columns) c.parser = (raw: unknown) => raw;
    return msg;
  }
}

/** Runs async work strictly one after another (messages and the idle-flush timer share the applier). */
class SerialExecutor {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

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
  tables: SelectedTable[];
  signal: AbortSignal;
  maxBatchTransactions?: number;
  maxBatchMs?: number;
}

export interface IncrementalStats extends ApplierStats {
  receivedLsn: string | null;
  confirmedLsn: string | null;
  lagSeconds: number;
}

export class IncrementalStream {
  private applier?: Applier;
  private receivedLsn: Lsn | null = null;
  private confirmedLsn: Lsn | null = null;
  private handled = 0;

  constructor(private readonly opts: IncrementalOptions) {}

  stats(): IncrementalStats {
    const a = this.applier?.stats;
    const applying = a?.applyingCommitTimeMs ?? null;
    return {
      appliedLsn: a?.appliedLsn ?? null, transactions: a?.transactions ?? 0, rows: a?.rows ?? 0,
      skippedTransactions: a?.skippedTransactions ?? 0, missingRows: a?.missingRows ?? 0, applyingCommitTimeMs: applying,
      receivedLsn: this.receivedLsn === null ? null : formatLsn(this.receivedLsn),
      confirmedLsn: this.confirmedLsn === null ? null : formatLsn(this.confirmedLsn),
      lagSeconds: applying === null ? 0 : Math.max(0, (Date.now() - applying) / 1000),
    };
  }

  /** Streams until the signal aborts (resolves) or something fails (rejects). */
  async run(): Promise<void> {
    const { opts } = this;
    const db = await connectApplier(opts.destination);
    const service = new LogicalReplicationService(opts.source, {
      // Never let the library acknowledge on its own: it would confirm data not yet applied.
      acknowledge: { auto: false, timeoutSeconds: 0 },
      flowControl: { enabled: true },
    });
    const plugin = new RawTextPgoutputPlugin({ protoVersion: 1, publicationNames: [opts.publication] });
    const serial = new SerialExecutor();
    let idleTimer: NodeJS.Timeout | undefined;
    let lastMessageAt = Date.now();
    try {
      await ensureOrigin(db, opts.origin);
      await db.query('SELECT pg_replication_origin_session_setup($1)', [opts.origin]);
      const progress = await originProgress(db, opts.origin);
      const start = progress ? parseLsn(progress) : null;
      this.confirmedLsn = start;
      const acknowledge = (lsn: Lsn): void => {
        this.confirmedLsn = this.confirmedLsn === null ? lsn : maxLsn(this.confirmedLsn, lsn);
        sendFeedback(service, this.confirmedLsn);
      };
      const applier = new Applier(db, new Map(opts.tables.map((t) => [tableKey(t.source), t])), {
        appliedUpTo: start,
        maxBatchTransactions: opts.maxBatchTransactions ?? 500,
        maxBatchMs: opts.maxBatchMs ?? 200,
        onCommitted: acknowledge,
      });
      this.applier = applier;

      const failed = new Promise<never>((_, reject) => {
        service.on('error', (err: Error) => reject(err));
        service.on('data', async (lsn: string, msg: Pgoutput.Message) => {
          lastMessageAt = Date.now();
          this.receivedLsn = parseLsn(lsn);
          try {
            await serial.run(() => applier.handle(msg));
            this.handled++;
          } catch (err) {
            reject(err); // the library would carry on with the next message: stop instead
            throw err;
          }
        });
        service.on('heartbeat', (lsn: string, _ts: number, shouldRespond: boolean) => {
          if (!shouldRespond) return;
          // The keepalive's LSN is what the server has sent so far. Confirm it only when every message
          // received has been applied and committed; otherwise re-confirm what is durably applied.
          const drained = this.handled === plugin.parsed && applier.atTransactionBoundary && !applier.hasOpenBatch;
          if (drained) acknowledge(parseLsn(lsn));
          else if (this.confirmedLsn !== null) sendFeedback(service, this.confirmedLsn);
        });
      });
      // A batch closes as soon as the stream goes quiet, so a lone transaction is not held back.
      idleTimer = setInterval(() => {
        if (Date.now() - lastMessageAt < 20 || !applier.hasOpenBatch) return;
        serial.run(() => applier.flush()).catch((err) => service.emit('error', err));
      }, 25);
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
      await Promise.race([aborted, failed, streaming]);
      // Stopping: commit what is complete, so the next run starts exactly after it.
      await serial.run(() => applier.flush()).catch(() => undefined);
    } finally {
      if (idleTimer) clearInterval(idleTimer);
      await service.destroy().catch(() => undefined);
      await this.applier?.rollback();
      await db.end().catch(() => undefined);
    }
  }
}
