import { withClient } from '../src/conn/connect';
import { dropOriginIfExists, dropPublicationIfExists, dropSlotIfExists } from '../src/stream/replication-objects';
import { restoreReplicaIdentity } from '../src/stream/replica-identity';
import { markOwnDdl, removeDdlCapture } from '../src/ddl/capture';
import { forgetFullSync } from '../src/snapshot/progress-store';
import { progressId } from './full';
import { additionObjects } from './modify';
import { logger } from '../src/log';
import { taskContext, type TaskInput } from './context';

export interface ReleaseInput extends TaskInput {
  /**
   * After a failure: the destination may be what failed. Everything on the source (what holds WAL) must go;
   * steps that need the destination are attempted and, if it does not answer, logged and left.
   */
  bestEffort?: boolean;
}

/** Drops everything the task created to replicate: nothing may keep WAL growing on the source. */
export async function releaseTask(input: ReleaseInput): Promise<{ slotDropped: boolean }> {
  const ctx = taskContext(input);
  const onDestination = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      if (!input.bestEffort) throw err;
      logger.warn({ task: input.taskId, step: what, err: (err as Error).message }, 'release after failure: a destination step was left');
    }
  };
  const slotDropped = await withClient(ctx.source, async (db) => {
    await markOwnDdl(db);
    const dropped = await dropSlotIfExists(db, ctx.slot);
    await dropSlotIfExists(db, additionObjects(input.taskId).slot); // an addition in progress
    await dropPublicationIfExists(db, ctx.publication);
    await removeDdlCapture(db, input.taskId);
    // After the publication is gone, so this task's own membership does not count as "still published".
    await onDestination('restore replica identity', () => withClient(ctx.destination, (dst) => restoreReplicaIdentity(db, dst, input.taskId, ctx.publication)));
    return dropped;
  });
  await onDestination('drop origins and copy progress', () =>
    withClient(ctx.destination, async (db) => {
      await dropOriginIfExists(db, ctx.origin);
      await forgetFullSync(db, input.taskId);
      const addition = additionObjects(input.taskId);
      await dropOriginIfExists(db, addition.origin);
      await forgetFullSync(db, progressId({ taskId: input.taskId, addition: { ...addition, publishTables: [] } }));
    }),
  );
  return { slotDropped };
}
