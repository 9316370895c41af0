// The shape of the `status` query. Pure types: shared by the workflow, activities and the CLI.
import type { PrecheckReport } from '../src/precheck/types';
import type { Throttle } from '../src/spec/schema';

export type Phase = 'precheck' | 'schema' | 'full' | 'incremental' | 'paused' | 'releasing' | 'released' | 'failed';

export interface TableStatus {
  source: string;
  target: string;
  state: 'pending' | 'copying' | 'copied';
  rowsCopied: number;
  bytesCopied: number;
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
  replayedBatches: number;
  lagSeconds: number;
  rowsPerSecond: number;
  bytesPerSecond: number;
  reportedAt: string;
}

export type ProgressReport =
  | { kind: 'full'; tables: { table: string; rows: number; bytes: number; done: boolean }[] }
  | { kind: 'incremental'; stats: IncrementalStatus };

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
  incremental: IncrementalStatus | null;
  lastError: string | null;
  /** The limits in force now (spec, then the latest valid `throttle` signal); `{}` is unlimited. */
  throttle: Throttle;
  phaseChanges: { phase: Phase; at: string }[];
}
