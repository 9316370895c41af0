// Names of the verifyTask workflow users script against (temporal CLI, pg-dts verify, tests).
import { defineQuery } from '@temporalio/workflow';
import type { VerifyReport } from '../src/verify/types';

export const VERIFY_WORKFLOW_TYPE = 'verifyTask';
/** The report so far: per table ranges done, rows compared, differing ranges and keys. */
export const verifyStatusQuery = defineQuery<VerifyReport>('status');

/** A verification's workflow id: the task's, a suffix and the time (sortable, unique per start). */
export const verifyWorkflowId = (task: string, at: Date): string => `${task}-verify-${at.toISOString().replace(/[-:.]/g, '').replace('T', '-')}`;
