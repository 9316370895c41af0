// Destination sequences follow the source's while the task streams: a long-running follower activity
// (a pass every PG_DTS_SEQUENCE_REFRESH_SECONDS on the worker), restarted when the selection changes and
// stopped while a cutover sets them itself; and one pass on demand, the `sequences` update.
import { CancellationScope, condition, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type * as activities from '../activities';
import type { SelectedTable } from '../src/catalog/names';
import type { TaskSpec } from '../src/spec/schema';
import type { TaskNaming } from '../src/spec/task-id';
import { sequencesUpdate } from './messages';

/** Marks tasks whose stream runs the sequence follower (older histories never scheduled it). */
export const SEQUENCE_FOLLOW_PATCH = 'pg-dts-follow-sequences';

const follower = proxyActivities<typeof activities>({
  startToCloseTimeout: '3650d', heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s' },
});
const pass = proxyActivities<typeof activities>({ startToCloseTimeout: '5m', retry: { initialInterval: '1s', maximumAttempts: 3 } });

export interface SequenceDeps {
  task: () => { spec: TaskSpec; taskId: string; naming: TaskNaming };
  tables: () => SelectedTable[];
  /** The stream has started (phase incremental or paused). */
  streaming: () => boolean;
  /** Sequences are being set by someone else (a cutover): the follower stops meanwhile. */
  held: () => boolean;
  /** Released or continuing as new: the follower ends. */
  done: () => boolean;
}

export function installSequencesUpdate(deps: SequenceDeps): void {
  setHandler(sequencesUpdate, () => pass.syncSequences({ ...deps.task(), tables: deps.tables() }), {
    validator: () => {
      if (!deps.streaming()) throw new Error('sequences refused: the task does not stream yet (its sequences are set when the full sync ends)');
      if (deps.done()) throw new Error('sequences refused: the task is being released');
    },
  });
}

/** Runs beside the stream until released (or continued as new). */
export async function followSequencesWhileStreaming(deps: SequenceDeps): Promise<void> {
  await condition(() => deps.streaming() || deps.done());
  // Histories from before the follower never scheduled it: they replay (and go on) without it.
  if (deps.done() || !patched(SEQUENCE_FOLLOW_PATCH)) return;
  for (;;) {
    await condition(() => !deps.held() || deps.done());
    if (deps.done()) return;
    const tables = deps.tables();
    const scope = new CancellationScope();
    const running = scope.run(() => follower.followSequences({ ...deps.task(), tables }));
    let ended = false;
    running.then(() => void (ended = true), () => void (ended = true));
    await condition(() => ended || deps.done() || deps.held() || deps.tables() !== tables);
    const endedByItself = ended;
    scope.cancel();
    await running.catch(() => undefined);
    if (deps.done()) return;
    // It ended by itself (it should not: it retries, and runs until cancelled): wait a minute rather than loop.
    if (endedByItself) await condition(() => deps.done(), 60_000);
  }
}
