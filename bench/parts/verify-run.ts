// One run of the verification benchmark: a pg-dts task (schema + full + incremental) over pgbench's
// tables into an empty destination, timed to the moment it streams; then, on the streaming task,
// verifyTask in checksum mode and in rows mode on the clean destination (timed, with the worker's peak
// memory), then one changed byte in one pgbench_accounts row on the destination, which a rows-mode
// verification must report with its table and key. The task is released at the end.
import type { WorkflowHandle } from '@temporalio/client';
import type { VerifyMode, VerifyReport } from '../../src/verify/types';
import { releaseSignal, statusQuery, WORKFLOW_TYPE } from '../../workflows/messages';
import type { TaskStatus } from '../../workflows/status';
import { VERIFY_WORKFLOW_TYPE } from '../../workflows/verify-messages';
import type { BenchClusters } from './clusters';
import { checkpoint, resetDestination, type FullCase } from './full-cases';
import { historyFacts } from './full-pgdts';
import { say } from './log';
import { abandon, waitForPhase } from './pgdts-run';
import { withPeakRss, type PeakRss } from './rss';
import { BENCH_TASK_QUEUE, workerExit, type BenchTemporal } from './temporal';
import { pollUntil } from './wait';

export interface VerificationResult {
  seconds: number;
  rows: number;
  ranges: number;
  /** planVerification's run time, and each verifyRanges activity's. */
  planSeconds: number;
  groupSeconds: number[];
  rss: PeakRss;
}

export interface VerifyRunResult {
  /** Workflow start -> phase incremental (precheck, schema, full sync). */
  syncSeconds: number;
  /** Phase full -> phase incremental (the copy and the key build), from status.phaseChanges. */
  fullPhaseSeconds: number | null;
  checksum: VerificationResult;
  rows: VerificationResult;
  /** The rows-mode verification that found the injected byte. */
  detection: VerificationResult & { table: string; key: string[] };
}

const at = (s: TaskStatus, phase: TaskStatus['phase']): number | null => {
  const c = s.phaseChanges.find((x) => x.phase === phase);
  return c ? Date.parse(c.at) : null;
};

async function verification(temporal: BenchTemporal, task: string, mode: VerifyMode, timeoutMs: number): Promise<{ report: VerifyReport; result: VerificationResult }> {
  const t0 = Date.now();
  const { result: done, rss } = await withPeakRss(temporal.worker.pid!, async () => {
    const handle = await temporal.client.workflow.start(VERIFY_WORKFLOW_TYPE, {
      taskQueue: BENCH_TASK_QUEUE, workflowId: `${task}-verify-${mode}-${Date.now().toString(36)}`, args: [{ task, mode }],
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`verification ${mode} of ${task} not done after ${timeoutMs / 1000} s`)), timeoutMs)));
    try {
      return { report: (await Promise.race([handle.result(), timeout, workerExit(temporal)])) as VerifyReport, handle };
    } finally {
      clearTimeout(timer);
    }
  });
  const seconds = (Date.now() - t0) / 1000;
  const { report, handle } = done;
  // Where the time went: the plan, then each group of ranges (one activity each).
  const { activities } = await historyFacts(handle);
  const plan = activities.filter((a) => a.name === 'planVerification').reduce((n, a) => n + a.seconds, 0);
  const groups = activities.filter((a) => a.name === 'verifyRanges').map((a) => a.seconds);
  const rows = report.tables.reduce((n, t) => n + t.rowsCompared, 0);
  const ranges = report.tables.reduce((n, t) => n + t.ranges, 0);
  if (report.unsettled) throw new Error(`verification ${mode}: ${report.unsettled} unsettled range(s) on an idle source: ${JSON.stringify(report)}`);
  say(`  verify ${mode}: ${seconds.toFixed(2)} s, ${rows} rows in ${ranges} ranges, ${report.differences} difference(s); plan ${plan.toFixed(2)} s, ${groups.length} groups of ranges ${groups.map((g) => g.toFixed(2)).join('/')} s; worker RSS ${rss.startMb.toFixed(0)} MB at start, peak ${rss.peakMb.toFixed(0)} MB (sampled ${rss.sampledMb.toFixed(0)} MB)`);
  return { report, result: { seconds, rows, ranges, planSeconds: plan, groupSeconds: groups, rss } };
}

/** One changed byte in one row, written on the destination so the stream does not see (or repair) it. */
async function injectOneByte(pg: BenchClusters, aid: number): Promise<void> {
  // pgbench's filler is char(84) of blanks (checked by the WHERE): its 42nd byte becomes an 'x'.
  const r = await pg.dst.query(`BEGIN; SET LOCAL session_replication_role = replica;
    UPDATE public.pgbench_accounts SET filler = repeat(' ', 41) || 'x' WHERE aid = ${aid} AND filler = ''; COMMIT;`);
  const updated = (r as unknown as { rowCount: number | null }[])[2]?.rowCount;
  if (updated !== 1) throw new Error(`injecting into pgbench_accounts aid ${aid} changed ${updated} rows`);
}

export async function verifyRun(pg: BenchClusters, temporal: BenchTemporal, c: FullCase, run: number, timeoutMs: number): Promise<VerifyRunResult> {
  await resetDestination(pg.dst, c);
  await checkpoint(pg);
  const workflowId = `bench_verify_${run}_${Date.now().toString(36)}`;
  const spec = { name: workflowId, source: { url: pg.source.url() }, destination: { url: pg.destination.url() }, objects: c.objects };
  const t0 = Date.now();
  const handle: WorkflowHandle = await temporal.client.workflow.start(WORKFLOW_TYPE, { taskQueue: BENCH_TASK_QUEUE, workflowId, args: [spec] });
  let slot: string | null = null;
  try {
    const streaming = await waitForPhase(handle, 'incremental', timeoutMs);
    slot = streaming.slot;
    const syncSeconds = (Date.now() - t0) / 1000;
    const [full, incremental] = [at(streaming, 'full'), at(streaming, 'incremental')];
    const fullPhaseSeconds = full !== null && incremental !== null ? (incremental - full) / 1000 : null;
    say(`  pg-dts schema + full sync: ${syncSeconds.toFixed(2)} s to phase incremental (full phase ${fullPhaseSeconds?.toFixed(2) ?? '?'} s)`);
    // The verification reads a streaming task (re-check rule on); the copy's WAL is checkpointed first,
    // as before the copy.
    await pollUntil('the task to stream', async () => (await handle.query(statusQuery)).incremental !== null, { timeoutMs: 120_000 });
    await checkpoint(pg);

    const checksum = await verification(temporal, workflowId, 'checksum', timeoutMs);
    if (checksum.report.differences) throw new Error(`checksum verification of a clean destination reported differences: ${JSON.stringify(checksum.report)}`);
    const rows = await verification(temporal, workflowId, 'rows', timeoutMs);
    if (rows.report.differences) throw new Error(`rows verification of a clean destination reported differences: ${JSON.stringify(rows.report)}`);

    const accounts = (await pg.src.query<{ n: string }>('SELECT count(*) AS n FROM public.pgbench_accounts')).rows[0]!.n;
    const aid = Math.round(Number(accounts) * 0.618);
    await injectOneByte(pg, aid);
    const found = await verification(temporal, workflowId, 'rows', timeoutMs);
    const differing = found.report.tables.filter((t) => t.differingKeyCount > 0 || t.differingRanges.length > 0);
    const keys = differing.flatMap((t) => t.differingKeys.map((k) => ({ table: t.table, key: k.key, kind: k.kind })));
    if (differing.length !== 1 || keys.length !== 1 || keys[0]!.table !== 'public.pgbench_accounts' || keys[0]!.key.join() !== String(aid) || keys[0]!.kind !== 'different') {
      throw new Error(`one changed byte in pgbench_accounts aid ${aid}: the verification reported ${JSON.stringify(keys)} in ${differing.map((t) => t.table).join(', ') || 'no table'}`);
    }
    say(`  one changed byte in pgbench_accounts aid ${aid} (of ${accounts}): reported as ${keys[0]!.table} key ${keys[0]!.key.join()} (${keys[0]!.kind})`);

    await handle.signal(releaseSignal);
    await Promise.race([handle.result(), workerExit(temporal)]);
    return { syncSeconds, fullPhaseSeconds, checksum: checksum.result, rows: rows.result, detection: { ...found.result, table: keys[0]!.table, key: keys[0]!.key } };
  } catch (err) {
    say(`  run failed; worker log: ${temporal.workerLog}`);
    await abandon(pg, handle, slot);
    throw err;
  }
}
