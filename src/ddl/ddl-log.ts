// What the stream did with DDL: counts by outcome and the latest statements, for `status` and the logs.
import { logger } from '../log';
import { parseLsn } from '../util/lsn';
import type { RecopyRequest } from '../stream/recopy-requests';
import type { ReplayDecision } from './apply';

export interface DdlEntry {
  at: string;
  /** Source commit LSN of the transaction that ran it. */
  lsn: string;
  statement: string;
  outcome: 'applied' | string;
  detail?: string;
  /**
   * Earlier entries of this stream attempt with the same LSN, outcome and statement. A retried attempt
   * replays the transaction and records the same entries again with the same (lsn, outcome, statement, n):
   * that is how the workflow counts each once (workflows/stream-totals.ts).
   */
  n?: number;
}

export interface DdlStats {
  applied: number;
  refused: number;
  /** Refusals by reason (replica-role, in-function, mixed-with-rows, outside-selection, unsupported, ...). */
  refusedBy: Record<string, number>;
  /** The latest statements (applied or refused), newest last. */
  recent: DdlEntry[];
  /** Logical messages with the task's DDL prefix that did not come from its capture: never replayed. */
  ignoredMessages?: number;
  /** Refused statements, newest last (the workflow keeps the task's last 50 across restarts: workflows/stream-totals.ts). */
  refusals?: DdlEntry[];
  /** Tables to copy again because a replayed DDL could not give their existing rows the source's values. */
  recopy?: RecopyRequest[];
}

/** What is committed on the destination: counted once, whatever attempt replays the transaction later. */
export interface ConfirmedDdl {
  applied: number;
  ignoredMessages: number;
}

const RECENT = 20;
/** Refusals an attempt keeps for its reports. */
const REFUSALS = 50;
/** Status travels in signals (history events): long statements are cut there; the log has them whole. */
const clip = (sql: string): string => (sql.length > 500 ? `${sql.slice(0, 500)}…` : sql);

export class DdlLog {
  readonly stats: DdlStats = { applied: 0, refused: 0, refusedBy: {}, recent: [], refusals: [] };
  /** Applied statements and ignored messages not yet known committed (their transaction's LSN). */
  private unconfirmed: { lsn: bigint; kind: 'applied' | 'ignored' }[] = [];
  private readonly confirmedCounts: ConfirmedDdl = { applied: 0, ignoredMessages: 0 };
  private readonly seen = new Map<string, number>();

  constructor(private readonly taskId: string) {}

  /** Counts of entries whose transaction (commit LSN below `appliedLsn`, a commit end) is committed. */
  confirmed(appliedLsn: string | null): ConfirmedDdl {
    if (appliedLsn !== null && this.unconfirmed.length) {
      const applied = parseLsn(appliedLsn);
      const still: typeof this.unconfirmed = [];
      for (const u of this.unconfirmed) {
        if (u.lsn >= applied) still.push(u);
        else if (u.kind === 'applied') this.confirmedCounts.applied++;
        else this.confirmedCounts.ignoredMessages++;
      }
      this.unconfirmed = still;
    }
    return { ...this.confirmedCounts };
  }

  record(decision: ReplayDecision, lsn: string): void {
    const outcome = decision.kind === 'apply' ? 'applied' : decision.reason;
    const statement = clip(decision.statement);
    const key = `${lsn}\u0000${outcome}\u0000${statement}`;
    const n = this.seen.get(key) ?? 0;
    this.seen.set(key, n + 1);
    const entry: DdlEntry = { at: new Date().toISOString(), lsn, statement, outcome, n };
    if (decision.kind === 'apply') {
      this.stats.applied++;
      this.unconfirmed.push({ lsn: parseLsn(lsn), kind: 'applied' });
      if (decision.notes.length) entry.detail = decision.notes.join('; ');
      logger.info({ task: this.taskId, lsn, statement: decision.statement, applied: decision.statements, notes: decision.notes }, 'DDL replicated');
    } else {
      this.stats.refused++;
      this.stats.refusedBy[decision.reason] = (this.stats.refusedBy[decision.reason] ?? 0) + 1;
      entry.detail = clip(decision.detail);
      this.stats.refusals!.push(entry);
      if (this.stats.refusals!.length > REFUSALS) this.stats.refusals!.shift();
      logger.warn({ task: this.taskId, lsn, statement: decision.statement, reason: decision.reason, detail: decision.detail }, 'DDL not replicated');
    }
    this.stats.recent.push(entry);
    if (this.stats.recent.length > RECENT) this.stats.recent.shift();
  }

  /** Open requests found at the stream's start, and those its DDL makes: reported until answered. */
  requestRecopy(request: RecopyRequest): void {
    const others = (this.stats.recopy ?? []).filter((r) => r.table.schema !== request.table.schema || r.table.name !== request.table.name);
    this.stats.recopy = [...others, request];
    logger.warn({ task: this.taskId, table: request.table, lsn: request.lsn, reason: request.reason }, 'the table will be copied again: a replayed DDL could not give its existing rows the source\'s values');
  }

  /** A message claiming to be the task's DDL that its capture did not write (someone sent it by hand). */
  ignoreForged(lsn: string, bytes: number): void {
    this.stats.ignoredMessages = (this.stats.ignoredMessages ?? 0) + 1;
    this.unconfirmed.push({ lsn: parseLsn(lsn), kind: 'ignored' });
    logger.warn({ task: this.taskId, lsn, bytes, ignored: this.stats.ignoredMessages },
      'ignored a logical message with this task\'s DDL prefix: DDL is replayed only from the task\'s capture table (someone on the source sent it with pg_logical_emit_message)');
  }
}

/** A replicated DDL the destination refused: the stream stops (and retries) rather than skip it. */
export class DdlFailedError extends Error {
  constructor(readonly statement: string, readonly lsn: string, cause: unknown) {
    super(`the destination refused replicated DDL (source transaction at ${lsn}): ${(cause as Error)?.message ?? String(cause)}\n  statement: ${statement}`);
    this.name = 'DdlFailed';
  }
}
