// The repair activity of `pg-dts verify --repair` (workflows/verify-task.ts): for one table, finds again
// every key of its differing ranges that differs for sure (the re-check rule), then has the destination
// take the source's rows of those keys — through the stream while the task streams, directly when it will
// never stream again (src/verify/repair.ts) — and waits until the stream applied the repair. Repeating it
// (a retried attempt) is harmless: it writes the source's rows of the keys that still differ.
import { Context } from '@temporalio/activity';
import { ddlLogTable } from '../src/ddl/capture';
import type { ChunkRange } from '../src/snapshot/plan';
import { settledDifferingKeys, type RangeDeps } from '../src/verify/engine';
import { REPAIR_KEYS_PER_ROW, MAX_REPAIR_KEYS } from '../src/verify/repair-row';
import { RepairRefused, recordRepair, repairDirectly, streamRepairBlocker } from '../src/verify/repair';
import { REPAIR_SHOWN_KEYS, type TableRepair } from '../src/verify/repair-types';
import { verifySettings, type VerifyInput, type VerifyTable } from '../src/verify/types';
import type { TaskStatus } from '../workflows/status';
import { appliedWaiter, isStreaming, limiterFor, sessions, taskOf } from './verify';

export interface RepairRangesInput {
  verify: VerifyInput;
  /** The table's plan without its ranges; `bounds` are the ranges to repair. */
  table: VerifyTable;
  bounds: ChunkRange[];
}

/** Phases after which the task never streams again: its destination may be written directly. */
const FINISHED = new Set(['released', 'failed']);

/** How a task in this state can be repaired, or why it cannot (with what to do). */
export function repairPath(task: string, status: Pick<TaskStatus, 'phase' | 'paused'>): 'stream' | 'direct' | { refused: string } {
  if (isStreaming(status as TaskStatus)) return 'stream';
  if (FINISHED.has(status.phase)) return 'direct';
  return {
    refused: `task ${task} is ${status.paused ? 'paused' : status.phase}: its stream would later replay older changes over rows written now. ` +
      `Resume the task (pg-dts resume ${task}), then repair`,
  };
}

export async function repairRanges(input: RepairRangesInput): Promise<TableRepair> {
  const activity = Context.current();
  const t: VerifyTable = { ...input.table, ranges: input.bounds };
  const result = (over: Partial<TableRepair>): TableRepair => ({ table: t.key, keys: 0, shownKeys: [], through: null, refused: null, reverified: null, ...over });
  const task = await taskOf(input.verify.task);
  const path = repairPath(input.verify.task, task.status);
  if (typeof path === 'object') return result(path);
  if (!t.targetKey.length) {
    return result({
      refused: `${t.key} has no key usable on both sides (a primary key or unique index, none of its columns excluded), so its differing rows cannot be told apart: ` +
        'copy it again instead (remove it from the task with pg-dts modify, then add it back)',
    });
  }
  const settings = verifySettings(input.verify, task.spec);
  const log = ddlLogTable(task.taskId);
  return sessions(task.source, task.destination, async (src, dst) => {
    const beat = (): void => activity.heartbeat();
    if (path === 'stream') {
      const blocker = await streamRepairBlocker(src, t, log);
      if (blocker) return result({ refused: blocker });
    }
    const waitApplied = path === 'stream' ? appliedWaiter(input.verify.task, dst, task.origin, settings.applyWaitSeconds, beat) : null;
    const deps: RangeDeps = { source: src, destination: dst, waitApplied, limiter: limiterFor(task.status.throttle ?? {}, 1), settings, beat };
    const keys = new Map<string, string[]>();
    let unsettled = 0;
    for (let r = 0; r < t.ranges.length; r++) {
      const found = await settledDifferingKeys(deps, t, r);
      if (!found) unsettled++;
      for (const [kt, k] of found ?? []) keys.set(kt, k.key);
      if (keys.size > MAX_REPAIR_KEYS) {
        return result({ refused: `${t.key} differs in more than ${MAX_REPAIR_KEYS.toLocaleString('en-US')} keys: copy it again instead (remove it from the task with pg-dts modify, then add it back)` });
      }
    }
    const all = [...keys.values()];
    let lsn: string | null = null;
    let repaired = 0;
    let refused = unsettled ? `${unsettled} range(s) kept changing under writes: their keys could not be told apart and were not repaired; repair again later` : null;
    for (let i = 0; i < all.length; i += REPAIR_KEYS_PER_ROW) {
      const batch = all.slice(i, i + REPAIR_KEYS_PER_ROW);
      try {
        if (path === 'stream') lsn = (await recordRepair(src, t, log, batch)).lsn;
        else await repairDirectly(src, dst, t, batch);
      } catch (err) {
        if (!(err instanceof RepairRefused)) throw err;
        refused = err.message; // retrying would hold the table's writers up again, or meet the same row
        break;
      }
      repaired += batch.length;
      beat();
    }
    const done = result({ keys: repaired, shownKeys: all.slice(0, Math.min(repaired, REPAIR_SHOWN_KEYS)), through: path, refused });
    if (lsn && !(await waitApplied!(lsn))) {
      return { ...done, refused: `the stream did not apply the repair within ${settings.applyWaitSeconds} s (is the task still streaming?): verify again once it caught up` };
    }
    return done;
  });
}
