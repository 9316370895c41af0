// Names users script against (temporal CLI, pg-dts CLI, tests). Declared once, imported everywhere.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Throttle } from '../src/spec/schema';
import type { TaskStatus, ProgressReport } from './status';

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
export const statusQuery = defineQuery<TaskStatus>('status');
