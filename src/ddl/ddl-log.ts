// What the stream did with DDL: counts by outcome and the latest statements, for `status` and the logs.
import { logger } from '../log';
import type { RecopyRequest } from '../stream/recopy-requests';
import type { ReplayDecision } from './apply';

export interface DdlEntry {
  at: string;
  /** Source commit LSN of the transaction that ran it. */
  lsn: string;
  statement: string;
  outcome: 'applied' | string;
  detail?: string;
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
  /** Tables to copy again because a replayed DDL could not give their existing rows the source's values. */
  recopy?: RecopyRequest[];
}

const RECENT = 20;
/** Status travels in signals (history events): long statements are cut there; the log has them whole. */
const clip = (sql: string): string => (sql.length > 500 ? `${sql.slice(0, 500)}…` : sql);

export class DdlLog {
  readonly stats: DdlStats = { applied: 0, refused: 0, refusedBy: {}, recent: [] };

  constructor(private readonly taskId: string) {}

  record(decision: ReplayDecision, lsn: string): void {
    const entry: DdlEntry = { at: new Date().toISOString(), lsn, statement: clip(decision.statement), outcome: decision.kind === 'apply' ? 'applied' : decision.reason };
    if (decision.kind === 'apply') {
      this.stats.applied++;
      if (decision.notes.length) entry.detail = decision.notes.join('; ');
      logger.info({ task: this.taskId, lsn, statement: decision.statement, applied: decision.statements, notes: decision.notes }, 'DDL replicated');
    } else {
      this.stats.refused++;
      this.stats.refusedBy[decision.reason] = (this.stats.refusedBy[decision.reason] ?? 0) + 1;
      entry.detail = clip(decision.detail);
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
