// What a task carries into its next run when it continues as new: everything the running task needs to go
// on streaming exactly where it is (the replication state itself is durable in the databases — slot,
// origin — so this is the selection, the catch-up bound and what `status` shows).
import { workflowInfo } from '@temporalio/workflow';
import type { SelectedTable } from '../src/catalog/names';
import type { TaskSpec } from '../src/spec/schema';
import type { TaskNaming } from '../src/spec/task-id';
import type { RecopyRequest } from '../src/ddl/recopy';
import type { TaskStatus } from './status';
import type { StreamTotals } from './stream-totals';
import type { DdlEntry } from '../src/ddl/ddl-log';

export interface CarriedState {
  /** The spec as it is now (modifyObjects may have changed its objects). */
  spec: TaskSpec;
  status: TaskStatus;
  tables: SelectedTable[];
  catchUpUntil: string | null;
  /** modifyObjects requests not started yet. */
  pendingObjects: { objects: TaskSpec['objects']; at: string }[];
  /** The namespace has pg-dts's search attributes (asked once, at the first run). */
  searchable: boolean;
  /** How the task's names are derived; absent when carried by a run from before it was recorded ('v1'). */
  naming?: TaskNaming;
  /** The stream's counters and refused DDL over the task's life; absent when carried by an older release. */
  streamTotals?: StreamTotals;
  /** Refused DDL not alerted yet. */
  pendingRefusalAlerts?: DdlEntry[];
  /** Tables waiting to be copied again (workflows/recopy-table.ts), and where each table's last copy was taken. */
  pendingRecopies?: RecopyRequest[];
  recopiedAt?: Record<string, string>;
}

/** Phase changes kept across runs: the full list stays in the earlier runs' histories. */
const KEEP_PHASE_CHANGES = 50;

export function carryOver(state: CarriedState): CarriedState {
  return { ...state, status: { ...state.status, phaseChanges: state.status.phaseChanges.slice(-KEEP_PHASE_CHANGES) } };
}

/** The history is long enough to start a new run (the spec's threshold, or the server's suggestion). */
export function continueAsNewDue(spec: TaskSpec): boolean {
  const info = workflowInfo();
  return info.historyLength >= spec.continueAsNewEvents || info.continueAsNewSuggested;
}
