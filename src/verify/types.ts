// The shapes of a verification (issue 16): its input, its plan, its per-range results and its report.
// Pure types, shared by the engine (src/verify/), the activities, the workflow and the CLI.
import type { KeyColumn, ChunkRange } from '../snapshot/plan';
import type { TaskSpec } from '../spec/schema';
import type { SelectedTable } from '../catalog/names';
import type { SchemaReport } from './schema-types';
import type { RepairReport } from './repair-types';

export type VerifyMode = 'count' | 'checksum' | 'rows';
export const VERIFY_MODES: readonly VerifyMode[] = ['count', 'checksum', 'rows'];

/** The verifyTask workflow's one argument. Carries no secret: the task's spec is asked from its workflow. */
export interface VerifyInput {
  /** Workflow id of the sync task (its name). */
  task: string;
  /** Default checksum. */
  mode?: VerifyMode;
  /** Rows per key range (about; ranges are cut at the quantiles of a sample). Default 100 000. */
  rangeRows?: number;
  /** Ranges compared at once; default the task's full.concurrency. */
  concurrency?: number;
  /** Differing keys listed per table (rows mode); default 100. */
  maxKeys?: number;
  /** Comparisons of a differing range before it is reported (streaming task); default 6. */
  maxAttempts?: number;
  /** How long one comparison waits for the stream to apply past the source read; default 120 s. */
  applyWaitSeconds?: number;
  /** Compare the schema too (columns, constraints, indexes, the objects the task creates); default true. */
  schema?: boolean;
  /** Replace the destination rows of differing keys by the source's, then compare them again (report.repair). */
  repair?: boolean;
}

export interface VerifySettings {
  mode: VerifyMode;
  rangeRows: number;
  concurrency: number;
  maxKeys: number;
  maxAttempts: number;
  applyWaitSeconds: number;
}

export function verifySettings(input: VerifyInput, spec?: Pick<TaskSpec, 'full'>): VerifySettings {
  const positive = (v: number | undefined, dflt: number): number => (v !== undefined && Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt);
  return {
    mode: input.mode ?? 'checksum',
    rangeRows: positive(input.rangeRows, 100_000),
    concurrency: positive(input.concurrency, spec?.full?.concurrency ?? 2),
    maxKeys: positive(input.maxKeys, 100),
    maxAttempts: positive(input.maxAttempts, 6),
    applyWaitSeconds: positive(input.applyWaitSeconds, 120),
  };
}

/** One table as verified: both sides' names and the mapped projection (same order on both sides). */
export interface VerifyTable {
  /** source "schema.name" */
  key: string;
  table: SelectedTable;
  sourceColumns: string[];
  targetColumns: string[];
  /** The spec's row filter (source column names), applied on the source only. */
  where?: string;
  sourceKey: KeyColumn[];
  /** The same key under its destination names and types; empty: the table has no usable key. */
  targetKey: KeyColumn[];
  ranges: ChunkRange[];
  estimatedRows: number;
  /**
   * Positions in the projection of float4/float8 columns compared by their bits, not their text: a server
   * before 12 prints floats as text with fewer digits than a newer one, so equal values would differ.
   */
  floatBits?: number[];
}

/** One side's aggregate over one range. */
export interface RangeAggregate {
  rows: number;
  /** Sum of 64-bit row hashes (decimal text); '' in count mode. */
  hash: string;
  bytes: number;
}

/** A key whose rows differ: its key values (text) and each side's row (row text; null = no such row). */
export interface KeyDifference {
  key: string[];
  kind: 'missing' | 'extra' | 'different';
  source: string | null;
  destination: string | null;
}

export interface RangeResult {
  range: number;
  equal: boolean;
  /** Rows on each side in the range (the last comparison). */
  sourceRows: number;
  destinationRows: number;
  bytes: number;
  /** Comparisons made (1 when equal at once). */
  attempts: number;
  /** Differed in every comparison but the source kept changing under it: not reported as a difference. */
  unsettled?: boolean;
  /** rows mode: the keys that differ (capped). */
  keys?: KeyDifference[];
  /** rows mode: differing keys found (may exceed keys.length). */
  keyCount?: number;
}

export interface TableReport {
  table: string;
  target: string;
  keyColumns: string[];
  ranges: number;
  rangesDone: number;
  rowsCompared: number;
  sourceRows: number;
  destinationRows: number;
  /** Ranges confirmed different: their bounds (text of the key). */
  differingRanges: { lo: string[] | null; hi: string[] | null; sourceRows: number; destinationRows: number }[];
  unsettledRanges: number;
  /** Ranges that needed more than the first look (they differed at first: the stream was behind, or they differ). */
  recheckedRanges: number;
  differingKeys: KeyDifference[];
  differingKeyCount: number;
  durationMs: number;
}

export interface VerifyReport {
  task: string;
  mode: VerifyMode;
  state: 'planning' | 'comparing' | 'done' | 'failed';
  /** How the task was when the verification began: differences were re-checked only while it streams. */
  taskPhase: string;
  streaming: boolean;
  startedAt: string;
  finishedAt: string | null;
  tables: TableReport[];
  /** Tables with a difference, and in all. */
  differingTables: number;
  differences: number;
  unsettled: number;
  error: string | null;
  /** Schema verification (unless input.schema is false); its differences count in `differences`. */
  schema?: SchemaReport;
  /** --repair: what was repaired and the second look at it. */
  repair?: RepairReport;
}
