// Names users script against (temporal CLI, pg-dts CLI, tests). Declared once, imported everywhere.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TaskStatus, ProgressReport } from './status';

export const WORKFLOW_TYPE = 'syncTask';
export const DEFAULT_TASK_QUEUE = 'pg-dts';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const releaseSignal = defineSignal('release');
/** Sent by the task's own activities to publish progress (rows copied, lag, LSNs) to `status`. */
export const progressSignal = defineSignal<[ProgressReport]>('progress');
export const statusQuery = defineQuery<TaskStatus>('status');
