// `pg-dts cutover <task>`: the update of workflows/cutover.ts (what it prints: cutover-text.ts).
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { cutoverUpdate, statusQuery } from '../../workflows/messages';
import type { SyncTaskResult } from '../../workflows/sync-task';
import type { CutoverRequest } from '../cutover/types';
import { cutoverReport } from './cutover-text';

/** Exit code: 0 done, 1 refused (the task keeps streaming). */
export async function cutoverCommand(client: Client, task: string, request: Required<CutoverRequest>): Promise<number> {
  const handle = client.workflow.getHandle(task);
  const { destination } = await handle.query(statusQuery);
  try {
    await handle.executeUpdate(cutoverUpdate, { args: [request] });
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    console.error((err.cause as Error | undefined)?.message ?? err.message);
    return 1;
  }
  const result = (await handle.result()) as SyncTaskResult;
  const c = result.cutover;
  if (!c) throw new Error(`${task} ended without a cutover result (phase ${result.phase})`);
  console.log(cutoverReport(task, c, destination));
  return 0;
}
