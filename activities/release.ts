import { withClient } from '../src/conn/connect';
import { dropOriginIfExists, dropPublicationIfExists, dropSlotIfExists } from '../src/stream/replication-objects';
import { forgetFullSync } from '../src/snapshot/progress-store';
import { taskContext, type TaskInput } from './context';

/** Drops everything the task created to replicate: nothing may keep WAL growing on the source. */
export async function releaseTask(input: TaskInput): Promise<{ slotDropped: boolean }> {
  const ctx = taskContext(input);
  const slotDropped = await withClient(ctx.source, async (db) => {
    const dropped = await dropSlotIfExists(db, ctx.slot);
    await dropPublicationIfExists(db, ctx.publication);
    return dropped;
  });
  await withClient(ctx.destination, async (db) => {
    await dropOriginIfExists(db, ctx.origin);
    await forgetFullSync(db, input.taskId);
  });
  return { slotDropped };
}
