import { withClient } from '../src/conn/connect';
import { dropOriginIfExists, dropPublicationIfExists, dropSlotIfExists } from '../src/stream/replication-objects';
import { REPLICA_IDENTITY_TABLE, restoreReplicaIdentity } from '../src/stream/replica-identity';
import { markOwnDdl, removeDdlCapture } from '../src/ddl/capture';
import { forgetFullSync, PROGRESS_TABLES } from '../src/snapshot/progress-store';
import { forgetRecopies, RECOPY_TABLE } from '../src/stream/recopy-requests';
import { describeConflict, forgetObjects, ownedObjects, taskObjects, type OwnedObject, type OwnershipConflict } from '../src/stream/ownership';
import { progressId } from './full';
import { forgetCreated } from '../src/schema/created-objects';
import { logger } from '../src/log';
import { taskContext, type TaskInput } from './context';
import { additionObjects, additionProven, adoptable, namingOf, taskOwner } from './ownership';
import { IDENTITY_USERS_TABLE } from '../src/stream/replica-identity-users';

export interface ReleaseInput extends TaskInput {
  /**
   * After a failure: the destination may be what failed. Everything on the source (what holds WAL) must go;
   * steps that need the destination are attempted and, if it does not answer, logged and left.
   */
  bestEffort?: boolean;
}

/**
 * Drops everything the task created to replicate: nothing may keep WAL growing on the source. Only what the
 * ownership registry says is this task's (src/stream/ownership.ts): a task that shares a name with this one
 * — another namespace, a hash collision, a task whose id is this one's plus `_add` — keeps its objects and
 * its sessions, and what is left is logged.
 */
export async function releaseTask(input: ReleaseInput): Promise<{ slotDropped: boolean }> {
  const ctx = taskContext(input);
  const owner = taskOwner();
  const onDestination = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      if (!input.bestEffort) throw err;
      logger.warn({ task: input.taskId, step: what, err: (err as Error).message }, 'release after failure: a destination step was left');
    }
  };
  const incremental = input.spec.syncTypes.includes('incremental');
  const main = taskObjects(input.taskId, ctx, incremental);
  const addition = additionObjects(input);
  const additionKey = progressId({ taskId: input.taskId, addition: { ...addition, publishTables: [] } });
  // A legacy addition slot is this task's only if its addition progress on the destination names it.
  let proven = false;
  if (namingOf(input) === 'v1' && incremental) {
    await onDestination('check the addition progress', async () => {
      proven = await withClient(ctx.destination, (db) => additionProven(db, additionKey, addition.slot));
    });
  }
  const adopt = adoptable(input, proven);
  const leftAlone = (others: OwnershipConflict[]): void => {
    for (const other of others) logger.warn({ task: input.taskId, left: describeConflict(other) }, 'release: left an object this task does not own');
  };
  // A full-only task created nothing on the source (no slot, publication, capture or replica identity).
  const sourceObjects: OwnedObject[] = incremental ? [...main.source, { kind: 'slot', name: addition.slot }] : [];
  const slotDropped = !incremental ? false : await withClient(ctx.source, async (db) => {
    const { mine, others } = await ownedObjects(db, owner, sourceObjects, adopt);
    leftAlone(others);
    const owns = (kind: OwnedObject['kind'], name: string): boolean => mine.some((o) => o.kind === kind && o.name === name);
    await markOwnDdl(db);
    const dropped = owns('slot', ctx.slot) ? await dropSlotIfExists(db, ctx.slot) : false;
    if (owns('slot', addition.slot)) await dropSlotIfExists(db, addition.slot); // an addition in progress
    if (owns('publication', ctx.publication)) await dropPublicationIfExists(db, ctx.publication);
    if (owns('capture', input.taskId)) await removeDdlCapture(db, input.taskId);
    // After the publication is gone, so this task's own membership does not count as "still published".
    // The records are on the destination under this task's id: restored only when they are this task's.
    await onDestination('restore replica identity', () =>
      withClient(ctx.destination, async (dst) => {
        const { mine: records } = await ownedObjects(dst, owner, [{ kind: 'progress', name: input.taskId }], adopt);
        if (records.length) await restoreReplicaIdentity(db, dst, input.taskId, ctx.publication);
      }));
    await forgetObjects(db, owner, sourceObjects, true, [IDENTITY_USERS_TABLE]);
    return dropped;
  });
  await onDestination('drop origins and copy progress', () =>
    withClient(ctx.destination, async (db) => {
      const destinationObjects: OwnedObject[] = [...main.destination, { kind: 'origin', name: addition.origin }];
      const { mine, others } = await ownedObjects(db, owner, destinationObjects, adopt);
      leftAlone(others);
      const owns = (kind: OwnedObject['kind'], name: string): boolean => mine.some((o) => o.kind === kind && o.name === name);
      if (owns('origin', ctx.origin)) await dropOriginIfExists(db, ctx.origin);
      if (owns('origin', addition.origin)) await dropOriginIfExists(db, addition.origin);
      if (owns('progress', input.taskId)) {
        await forgetFullSync(db, input.taskId);
        await forgetFullSync(db, additionKey);
      }
      await forgetRecopies(db, input.taskId);
      // After a failure the records of created tables stay: a restart recreates those tables instead of refusing them.
      if (!input.bestEffort) await forgetCreated(db, input.taskId, owner);
      // The last task on this destination takes pg-dts's schema with it (its progress tables, once empty).
      await forgetObjects(db, owner, destinationObjects, true, [...PROGRESS_TABLES, REPLICA_IDENTITY_TABLE, RECOPY_TABLE]);
    }),
  );
  return { slotDropped };
}
