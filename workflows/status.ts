// The shape of the `status` query. Pure types: shared by the workflow, activities and the CLI.
import type { PrecheckReport } from '../src/precheck/types';
import type { CutoverStatus } from '../src/cutover/types';
import type { Throttle } from '../src/spec/schema';
import type { DdlStats } from '../src/ddl/ddl-log';
import type { AlertState, ThresholdAlertKind } from '../src/alerts/event';
import type { AttemptCounters } from './stream-totals';
import type { LagClock } from '../src/util/lag-clock';
import type { ContinuousVerificationStatus } from '../src/verify/continuous';

export type Phase = 'precheck' | 'schema' | 'full' | 'incremental' | 'paused' | 'releasing' | 'released' | 'failed';

export interface TableStatus {
  source: string;
  target: string;
  /** removed: deselected by modifyObjects (its destination table is kept, no longer written). */
  state: 'pending' | 'copying' | 'copied' | 'removed';
  rowsCopied: number;
  /** Bytes of COPY data read from the source (text or binary format). */
  bytesCopied: number;
  /** From the source's statistics (pg_class.reltuples, or a sample when never analyzed); null: not planned yet. */
  estimatedRows?: number | null;
  /** The table's on-disk size on the source incl. TOAST (pg_table_size): a scale, not a COPY byte count. */
  estimatedBytes?: number | null;
  chunks?: number;
  chunksDone?: number;
  rowsPerSecond?: number;
  /** Seconds left at the current rate; null when it cannot be estimated yet. */
  etaSeconds?: number | null;
}

/** The whole full sync at a glance. */
export interface FullSyncStatus {
  tables: number;
  tablesDone: number;
  chunks: number;
  chunksDone: number;
  rowsCopied: number;
  bytesCopied: number;
  estimatedRows: number;
  rowsPerSecond: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** Attempts that resumed from recorded chunk progress instead of starting over (worker died, etc.). */
  resumedAttempts: number;
  /** Binary COPY tables / text COPY tables. */
  binaryTables: number;
  reportedAt: string;
}

export interface TableProgressReport {
  table: string;
  rows: number;
  bytes: number;
  done: boolean;
  estimatedRows: number | null;
  estimatedBytes: number | null;
  chunks: number;
  chunksDone: number;
  rowsPerSecond: number;
  etaSeconds: number | null;
}

export interface IncrementalStatus {
  /** The source's current WAL position (sampled by the heartbeat). */
  sourceLsn: string | null;
  appliedLsn: string | null;
  receivedLsn: string | null;
  confirmedLsn: string | null;
  /** WAL the slot keeps on the source (current position - restart_lsn). */
  retainedWalBytes: number | null;
  retainedWalWarning: boolean;
  transactions: number;
  batches: number;
  rows: number;
  bytes: number;
  missingRows: number;
  /** Rows missing while replaying the catch-up window of a resumed full sync: expected, not a divergence. */
  catchUpMissingRows?: number;
  replayedBatches: number;
  /** Keys replaced by `pg-dts verify --repair` at their place in the stream (this stream attempt). */
  repairedKeys?: number;
  /** DDL replicated and refused (with reasons and the latest statements). */
  ddl?: DdlStats;
  /** Source columns the destination lacks (DDL not replicated yet applied there): left out of writes. */
  ignoredColumns?: string[];
  lagSeconds: number;
  /** What the lag is measured from, for the next stream or paused watch to go on from (src/stream/incremental.ts). */
  lagClock?: LagClock;
  rowsPerSecond: number;
  bytesPerSecond: number;
  reportedAt: string;
  /**
   * Recent lag as [ISO time, lagSeconds] pairs, oldest first (bounded: the last 10 minutes at 10 s
   * resolution). Absent from workflows that do not keep it; `pg-dts status` charts it when present.
   */
  lagHistory?: [string, number][];
}

/** An activity failing and being retried, with the clock of its retry window. */
export interface RetryStatus {
  activity: string;
  failureClass: 'connection' | 'other';
  /** Failing without progress since then (the window runs from here). */
  since: string;
  message: string;
}

export type ProgressReport =
  | { kind: 'full'; tables: TableProgressReport[]; overall?: FullSyncStatus }
  | {
    kind: 'incremental'; stats: IncrementalStatus;
    /** This attempt's committed counters (workflows/stream-totals.ts); absent from streams of older releases. */
    attempt?: AttemptCounters;
    /** The previous attempt's last counters (from its heartbeat), which its own reports may have missed. */
    previous?: AttemptCounters;
    /** Sent by an attempt that is failing: it does not end the `retrying` state. */
    failing?: boolean;
  }
  | { kind: 'retry'; retry: RetryStatus }
  /** An alert fired or resolved (sent at once, so the next stream or watch knows). */
  | { kind: 'alert'; alert: ThresholdAlertKind; state: AlertState }
  /** While paused (no stream): what the slot keeps on the source. */
  | {
    kind: 'slot'; sourceLsn: string; retainedWalBytes: number | null; retainedWalWarning: boolean; reportedAt: string;
    /** Lag measured on the source's clock while nothing streams; absent from watches of older releases. */
    lagSeconds?: number | null;
  };

/** The latest `modifyObjects`, as it goes through its steps (workflows/modify-objects.ts). */
export interface ModificationStatus {
  state: 'waiting' | 'planning' | 'removing' | 'creating' | 'copying' | 'catching-up' | 'joining' | 'done' | 'refused' | 'failed';
  added: string[];
  removed: string[];
  requestedAt: string;
  finishedAt: string | null;
  /** Why it was refused or failed; the task's selection is then the one before the signal. */
  problems: string[];
}

export interface TaskStatus {
  name: string;
  taskId: string;
  phase: Phase;
  paused: boolean;
  source: string;
  destination: string;
  slot: string;
  publication: string;
  syncTypes: string[];
  tables: TableStatus[];
  precheck: PrecheckReport | null;
  consistentPoint: string | null;
  /** Progress of the full sync (null before it starts). */
  full?: FullSyncStatus | null;
  incremental: IncrementalStatus | null;
  lastError: string | null;
  /** The limits in force now (spec, then the latest valid `throttle` signal); `{}` is unlimited. */
  throttle: Throttle;
  phaseChanges: { phase: Phase; at: string }[];
  modification?: ModificationStatus | null;
  /** Tables being (or last) copied again because a replayed DDL could not give their rows the source's values. */
  recopies?: RecopyStatus[];
  /** Set while an activity fails and is retried (cleared by the next progress report). */
  retrying?: RetryStatus | null;
  /** Times the task continued as new (history kept short); its earlier runs hold the older history. */
  continuedRuns?: number;
  /**
   * Alerts firing now (lag, retained WAL). Kept here, not in the activity that evaluates them, so that a
   * stream restart, a pause or another worker taking over neither fires them again nor forgets to resolve.
   */
  firingAlerts?: ThresholdAlertKind[];
  /** The switchover (`pg-dts cutover`), as it goes through its steps; refused ones stay here until the next. */
  cutover?: CutoverStatus | null;
  /** Continuous verification (spec `verify`): its schedule, the run in progress, the last results. */
  verification?: ContinuousVerificationStatus;
}

/** One table copied again while the task streams (workflows/recopy-table.ts). */
export interface RecopyStatus {
  table: string;
  reason: string;
  /** Commit LSN of the source transaction that made the copy necessary. */
  requestedAt: string;
  state: 'queued' | 'holding' | 'copying' | 'catching-up' | 'joining' | 'done' | 'failed';
  startedAt: string | null;
  finishedAt: string | null;
  problems: string[];
}
