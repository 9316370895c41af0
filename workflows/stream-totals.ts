// A task's stream counters for its whole life. Each stream attempt (retry, resume, another worker, a new
// run after continue-as-new) counts from zero; the workflow adds them up here. Pure and deterministic: the
// workflow calls it from its progress handler, unit tests call it directly.
//
// Counting each thing once:
// - rows, bytes, transactions and applied DDL are counted by an attempt only once committed on the
//   destination (the applier's `committed`, DdlLog.confirmed), and the next attempt starts after that
//   commit, so attempts never overlap. Every report carries its attempt's id and a sequence number and
//   replaces that attempt's earlier figures (a late, repeated or reordered report never adds twice).
// - refused DDL is shown as soon as it is refused (a transaction stuck on a failing statement may never
//   commit), and a retried attempt refuses it again: a refusal counts when its (lsn, reason, statement, n)
//   is not in the list already. Replays only start at the origin's position, so a repeated refusal is among
//   the newest, which the list keeps.
import type { DdlEntry } from '../src/ddl/ddl-log';

export interface StreamCounters {
  rows: number;
  bytes: number;
  transactions: number;
  ddlApplied: number;
  ignoredMessages: number;
}

export interface AttemptCounters {
  /** Drawn by the attempt when it starts. */
  id: string;
  /** Increases with every report of the attempt. */
  seq: number;
  counters: StreamCounters;
}

export interface StreamTotals {
  /** The counters of attempts no longer tracked one by one. */
  base: StreamCounters;
  /** The latest attempts, oldest first. */
  attempts: AttemptCounters[];
  refused: number;
  refusedBy: Record<string, number>;
  /** The task's latest refused statements, newest last. */
  refusals: DdlEntry[];
  /** The latest DDL statements, applied or refused, newest last. */
  recent: DdlEntry[];
  /** Every source column ever left out of writes because the destination lacked it. */
  ignoredColumns: string[];
}

/** What one report of an attempt brings. */
export interface AttemptReport extends AttemptCounters {
  refusals: DdlEntry[];
  recent: DdlEntry[];
  ignoredColumns: string[];
}

export const REFUSALS_KEPT = 50;
const RECENT_KEPT = 20;
/** Attempts tracked one by one: a report can only come late from one of the last few. */
const ATTEMPTS_KEPT = 8;

export const zeroCounters = (): StreamCounters => ({ rows: 0, bytes: 0, transactions: 0, ddlApplied: 0, ignoredMessages: 0 });

const add = (a: StreamCounters, b: StreamCounters): StreamCounters => ({
  rows: a.rows + b.rows, bytes: a.bytes + b.bytes, transactions: a.transactions + b.transactions,
  ddlApplied: a.ddlApplied + b.ddlApplied, ignoredMessages: a.ignoredMessages + b.ignoredMessages,
});

export const entryKey = (e: DdlEntry): string => `${e.lsn}\u0000${e.outcome}\u0000${e.statement}\u0000${e.n ?? 0}`;

/**
 * Totals to start from: a task's earlier figures when it had no totals yet (continued as new, or running,
 * under a release before this), read from what its status showed.
 */
export function initialTotals(shown?: {
  rows?: number; bytes?: number; transactions?: number; ignoredColumns?: string[];
  ddl?: { applied?: number; refused?: number; refusedBy?: Record<string, number>; recent?: DdlEntry[]; ignoredMessages?: number; refusals?: DdlEntry[] };
} | null): StreamTotals {
  const ddl = shown?.ddl;
  const recent = ddl?.recent ?? [];
  return {
    base: {
      rows: shown?.rows ?? 0, bytes: shown?.bytes ?? 0, transactions: shown?.transactions ?? 0,
      ddlApplied: ddl?.applied ?? 0, ignoredMessages: ddl?.ignoredMessages ?? 0,
    },
    attempts: [],
    refused: ddl?.refused ?? 0,
    refusedBy: { ...(ddl?.refusedBy ?? {}) },
    refusals: ddl?.refusals ?? recent.filter((e) => e.outcome !== 'applied'),
    recent,
    ignoredColumns: [...(shown?.ignoredColumns ?? [])],
  };
}

/** Folds one report in; returns the new totals and the refusals seen for the first time (for the alert). */
export function mergeAttempt(totals: StreamTotals, report: AttemptReport): { totals: StreamTotals; newRefusals: DdlEntry[] } {
  let attempts = totals.attempts;
  let base = totals.base;
  const known = attempts.find((a) => a.id === report.id);
  if (!known) {
    attempts = [...attempts, { id: report.id, seq: report.seq, counters: report.counters }];
    while (attempts.length > ATTEMPTS_KEPT) {
      base = add(base, attempts[0]!.counters);
      attempts = attempts.slice(1);
    }
  } else if (report.seq > known.seq) {
    attempts = attempts.map((a) => (a.id === report.id ? { id: a.id, seq: report.seq, counters: report.counters } : a));
  }
  const listed = new Set(totals.refusals.map(entryKey));
  const newRefusals = report.refusals.filter((e) => e.outcome !== 'applied' && !listed.has(entryKey(e)));
  const refusedBy = { ...totals.refusedBy };
  for (const e of newRefusals) refusedBy[e.outcome] = (refusedBy[e.outcome] ?? 0) + 1;
  const inRecent = new Set(totals.recent.map(entryKey));
  const ignored = totals.ignoredColumns.concat(report.ignoredColumns.filter((c) => !totals.ignoredColumns.includes(c)));
  return {
    totals: {
      base, attempts,
      refused: totals.refused + newRefusals.length,
      refusedBy,
      refusals: [...totals.refusals, ...newRefusals].slice(-REFUSALS_KEPT),
      recent: [...totals.recent, ...report.recent.filter((e) => !inRecent.has(entryKey(e)))].slice(-RECENT_KEPT),
      ignoredColumns: ignored,
    },
    newRefusals,
  };
}

/** The task's counters now: finished attempts plus the latest figures of each tracked one. */
export function countersOf(totals: StreamTotals): StreamCounters {
  return totals.attempts.reduce((sum, a) => add(sum, a.counters), totals.base);
}
