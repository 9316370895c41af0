// The shape of the `status` query. Pure types: shared by the workflow, activities and the CLI.
import type { PrecheckReport } from '../src/precheck/types';

export type Phase = 'precheck' | 'schema' | 'full' | 'incremental' | 'paused' | 'releasing' | 'released' | 'failed';

export interface TableStatus {
  source: string;
  target: string;
  state: 'pending' | 'copying' | 'copied';
  rowsCopied: number;
  bytesCopied: number;
}

export interface IncrementalStatus {
  appliedLsn: string | null;
  receivedLsn: string | null;
  confirmedLsn: string | null;
  transactions: number;
  rows: number;
  missingRows: number;
  lagSeconds: number;
  rowsPerSecond: number;
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
  phaseChanges: { phase: Phase; at: string }[];
}
