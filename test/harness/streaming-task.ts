// Starting a task through the client and waiting until it streams (its status has incremental figures).
import type { Client } from '@temporalio/client';
import { statusQuery } from '../../workflows/messages';
import type { ClusterSessions } from './clusters';
import { waitFor } from './checksum';
import { clusterSpec } from './task-spec-file';

export async function startStreamingTask(temporal: Client, cs: ClusterSessions, task: string, queue: string, extra: Record<string, unknown>): Promise<void> {
  await temporal.workflow.start('syncTask', { taskQueue: queue, workflowId: task, args: [clusterSpec(cs.pg, task, { syncTypes: ['schema', 'incremental'], ...extra })] });
  const status = () => temporal.workflow.getHandle(task).query(statusQuery);
  await waitFor(`${task} streaming`, async () => {
    const s = await status();
    return s.incremental !== null && s.phase === 'incremental';
  }, 120_000, 200);
}
