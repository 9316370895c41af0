// Names users script against (temporal CLI, pg-dts CLI, tests). Declared once, imported everywhere.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TaskSpec, Throttle } from '../src/spec/schema';
import type { TaskStatus, ProgressReport } from './status';
import type { SequencesResult } from '../src/cutover/sequence-position';
import type { CutoverRequest, CutoverStatus } from '../src/cutover/types';
import type { SelectedTable } from '../src/catalog/names';

export const WORKFLOW_TYPE = 'syncTask';
export const DEFAULT_TASK_QUEUE = 'pg-dts';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const releaseSignal = defineSignal('release');
/** Sent by the task's own activities to publish progress (rows copied, lag, LSNs) to `status`. */
export const progressSignal = defineSignal<[ProgressReport]>('progress');
/**
 * Replaces the whole throttle setting (same shape as the spec's `throttle`; `{}` removes every limit).
 * Running activities pick it up by polling `status.throttle`.
 */
export const throttleSignal = defineSignal<[Throttle]>('throttle');
/**
 * Replaces the task's selection (`{ "objects": [...] }`, the spec's `objects`) while it runs: added tables
 * are prechecked, created, copied and then joined to the stream; removed tables stop being applied
 * (nothing is dropped on the destination).
 */
export const modifyObjectsSignal = defineSignal<[{ objects: TaskSpec['objects'] }]>('modifyObjects');
export const statusQuery = defineQuery<TaskStatus>('status');
/**
 * The task's spec as it is now (objects as modifyObjects left them; URLs never carry a password) and its
 * resolved tables: what `pg-dts verify` compares, under the task's own names and rules.
 */
export const selectionQuery = defineQuery<{ spec: TaskSpec; tables: SelectedTable[]; taskId: string }>('selection');

/**
 * The same changes as updates with validators: a bad value is refused with the reason (the caller gets the
 * error, nothing is recorded in the history), a good one is acknowledged with what is now in force.
 */
export const throttleUpdate = defineUpdate<Throttle, [Throttle]>('throttle');
export const modifyObjectsUpdate = defineUpdate<{ queuedAt: string }, [{ objects: TaskSpec['objects'] }]>('modifyObjects');

/** One pass moving the destination's sequences forward to the source's positions (`pg-dts sequences`). */
export const sequencesUpdate = defineUpdate<SequencesResult, []>('sequences');
/** The switchover as one durable step (`pg-dts cutover`, docs/cutover.md); refused with the reason, the task left streaming. */
export const cutoverUpdate = defineUpdate<CutoverStatus, [CutoverRequest]>('cutover');
