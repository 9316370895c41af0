// One run of pg-dts as a real task through Temporal, mirroring the native run: the task creates the
// tables and does its full sync, reaches `incremental`, is paused (the stream stops), the same backlog is
// written, and `resume` starts the clock; the catch-up ends when the task's slot confirms the target.
// Then steady-state lag on the running task, a row-level check, and `release` (which drops the slot).
import type { WorkflowHandle } from '@temporalio/client';
import { pauseSignal, releaseSignal, resumeSignal, statusQuery, WORKFLOW_TYPE } from '../../workflows/messages';
import type { Phase, TaskStatus } from '../../workflows/status';
import { applicationName } from '../../src/spec/task-id';
import type { IncrementalConfig } from './config';
import type { BenchClusters } from './clusters';
import { reportCatchUp, timeSlotCatchUp } from './catchup';
import { say, sleep } from './log';
import type { SideResult } from './result';
import { dropDestinationTables, PGBENCH_TABLES } from './tables';
import { BENCH_TASK_QUEUE, type BenchTemporal } from './temporal';
import { pollUntil } from './wait';
import { waitForEqualTables } from './verify';
import { steadyState, writeBacklog } from './workload';

export async function waitForPhase(handle: WorkflowHandle, phase: Phase, timeoutMs: number): Promise<TaskStatus> {
  let last: TaskStatus | null = null;
  return pollUntil(
    `pg-dts task phase ${phase}`,
    async () => {
      last = await handle.query(statusQuery);
      if (last.phase === 'failed') throw new Error(`pg-dts task failed: ${last.lastError}`);
      return last.phase === phase ? last : false;
    },
    {
      timeoutMs,
      everyMs: 200,
      progress: () => {
        const s = last as TaskStatus | null;
        if (!s) return 'no status yet';
        const rows = s.tables.reduce((n, t) => n + t.rowsCopied, 0);
        return `phase ${s.phase}${s.phase === 'full' ? `, ${rows} rows copied (status is updated every 10 s)` : ''}`;
      },
    },
  );
}

async function slotActive(pg: BenchClusters, slot: string): Promise<boolean> {
  const r = await pg.src.query(`SELECT active FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
  return Boolean(r.rows[0]?.active);
}

/** Gets rid of a task that did not finish cleanly: release if it still listens, else terminate + drop the slot. */
export async function abandon(pg: BenchClusters, handle: WorkflowHandle, slot: string | null): Promise<void> {
  try {
    await handle.signal(releaseSignal);
    await Promise.race([handle.result(), sleep(60_000).then(() => Promise.reject(new Error('release timed out')))]);
  } catch {
    await handle.terminate('benchmark failed').catch(() => undefined);
    if (slot) {
      await pg.src.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`, [slot]).catch(() => undefined);
      await sleep(500);
      await pg.src.query(`SELECT pg_drop_replication_slot($1) FROM pg_replication_slots WHERE slot_name = $1`, [slot]).catch(() => undefined);
    }
  }
}

export async function pgDtsRun(pg: BenchClusters, temporal: BenchTemporal, cfg: IncrementalConfig, run: number): Promise<SideResult> {
  const timeoutMs = cfg.timeoutSeconds * 1000;
  // pg-dts creates the tables itself (schema phase); the previous native run's copies must go first.
  await dropDestinationTables(pg.dst);
  // Lower case, digits and underscores only: the task id is then the workflow id itself, so the slot is
  // readable as dts_sync_<workflow id>.
  const workflowId = `bench_incr_${run}_${Date.now().toString(36)}`;
  const spec = {
    name: workflowId,
    source: { url: pg.source.url() },
    destination: { url: pg.destination.url() },
    objects: [{ schema: 'public', tables: [...PGBENCH_TABLES] }],
  };
  const t0 = Date.now();
  const handle = await temporal.client.workflow.start(WORKFLOW_TYPE, { taskQueue: BENCH_TASK_QUEUE, workflowId, args: [spec] });
  let slot: string | null = null;
  try {
    const ready = await waitForPhase(handle, 'incremental', timeoutMs);
    slot = ready.slot;
    say(`  pg-dts task ${workflowId}: schema + full sync done in ${((Date.now() - t0) / 1000).toFixed(1)} s; slot ${slot}`);
    await pollUntil('pg-dts stream to attach to its slot', () => slotActive(pg, ready.slot), { timeoutMs: 120_000 });

    await handle.signal(pauseSignal);
    await waitForPhase(handle, 'paused', 120_000);
    // `paused` is entered only once the stream activity has stopped; check the slot agrees.
    await pollUntil('pg-dts stream to detach from its slot', async () => !(await slotActive(pg, ready.slot)), { timeoutMs: 60_000 });
    await sleep(500); // as the native run
    const backlog = await writeBacklog(pg, cfg);

    const started = Date.now();
    await handle.signal(resumeSignal);
    const catchUp = await timeSlotCatchUp(pg.src, ready.slot, backlog.target, started, {
      timeoutMs,
      progress: async () => {
        const s = await handle.query(statusQuery);
        const i = s.incremental;
        return i ? `pg-dts phase ${s.phase}, ${i.rows} rows applied, ${i.rowsPerSecond} rows/s (status every 10 s)` : `pg-dts phase ${s.phase}`;
      },
    });
    reportCatchUp('pg-dts', catchUp);

    const steady = await steadyState(pg, cfg, applicationName(ready.taskId), `pgdts-run${run}`);
    const verifiedRows = await waitForEqualTables(pg.src, pg.dst, PGBENCH_TABLES, timeoutMs);
    say(`  pg-dts: destination = source (${verifiedRows} rows, ordered md5 per table)`);

    await handle.signal(releaseSignal);
    await pollUntil('pg-dts task to release', async () => {
      const d = await handle.describe();
      return d.status.name !== 'RUNNING';
    }, { timeoutMs: 120_000 });
    await handle.result();
    const left = await pg.src.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1`, [ready.slot]);
    if (left.rowCount) throw new Error(`release left slot ${ready.slot} on the source`);
    return { catchUp, backlogSeconds: backlog.seconds, steady, verifiedRows };
  } catch (err) {
    say(`  pg-dts run failed; worker log: ${temporal.workerLog}`);
    await abandon(pg, handle, slot);
    throw err;
  }
}
