// verifyTask: compares every selected table of a sync task (running or finished) on both servers, by key
// ranges over the task's mapped projection (docs/verification.md). Durable: each group of ranges is an
// activity, so a worker lost mid-way costs only its group; the report grows in the `status` query and is
// the workflow's result.
import { patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type * as activities from '../activities';
import { addRangeResult, emptyTableReport, summarize } from '../src/verify/compare';
import { verifySettings, type VerifyInput, type VerifyReport } from '../src/verify/types';
import { failureCause } from './failure-cause';
import { verifyStatusQuery } from './verify-messages';
import { repairAndVerifyAgain } from './verify-repair';

/** Ranges per activity: a lost worker repeats at most this many; the history holds one event pair each. */
const RANGES_PER_ACTIVITY = 8;

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: ['TaskNotCopied'] };
const { planVerification } = proxyActivities<typeof activities>({ startToCloseTimeout: '30m', retry });
// Heartbeats while it waits for the stream (a migration in flight), like verifyRanges.
const { verifySchema } = proxyActivities<typeof activities>({ startToCloseTimeout: '1h', heartbeatTimeout: '60s', retry });
const { verifyRanges } = proxyActivities<typeof activities>({ startToCloseTimeout: '24h', heartbeatTimeout: '60s', retry });

export async function verifyTask(input: VerifyInput): Promise<VerifyReport> {
  const settings = verifySettings(input);
  let report: VerifyReport = {
    task: input.task, mode: settings.mode, state: 'planning', taskPhase: '', streaming: false,
    startedAt: new Date().toISOString(), finishedAt: null, tables: [], differingTables: 0, differences: 0, unsettled: 0, error: null,
  };
  setHandler(verifyStatusQuery, () => report);
  try {
    const plan = await planVerification(input);
    report = { ...report, state: 'comparing', taskPhase: plan.taskPhase, streaming: plan.streaming, tables: plan.tables.map(emptyTableReport) };
    // Schema first (a few catalog queries): its section is in `status` while the rows are compared.
    if (input.schema !== false && patched('pg-dts-verify-schema')) {
      report = summarize({ ...report, schema: await verifySchema({ verify: input, tables: plan.tables.map((t) => t.table) }) });
    }
    const work = plan.tables.flatMap((table, t) => {
      const groups: { t: number; ranges: number[] }[] = [];
      for (let i = 0; i < table.ranges.length; i += RANGES_PER_ACTIVITY) {
        groups.push({ t, ranges: table.ranges.slice(i, i + RANGES_PER_ACTIVITY).map((_, j) => i + j) });
      }
      return groups;
    });
    const toRepair = new Map<number, number[]>(); // --repair: per table, its ranges confirmed different
    const share = Math.max(1, Math.min(plan.concurrency, work.length));
    let next = 0;
    const runner = async (): Promise<void> => {
      while (next < work.length) {
        const { t, ranges } = work[next++]!;
        const table = plan.tables[t]!;
        // Only this group's bounds travel with the activity: a big table's plan is in the history once.
        const out = await verifyRanges({ verify: input, table: { ...table, ranges: [] }, ranges, bounds: ranges.map((r) => table.ranges[r]!), share });
        let tr = report.tables[t]!;
        out.results.forEach((r, i) => (tr = addRangeResult(tr, table.ranges[r.range]!, r, settings.maxKeys, out.durationsMs[i] ?? 0)));
        if (input.repair) for (const r of out.results.filter((x) => !x.equal && !x.unsettled)) toRepair.set(t, [...(toRepair.get(t) ?? []), r.range]);
        report = summarize({ ...report, tables: report.tables.map((x, i) => (i === t ? tr : x)) });
      }
    };
    await Promise.all(Array.from({ length: share }, runner));
    if (input.repair && patched('pg-dts-verify-repair')) {
      report = { ...report, repair: toRepair.size ? await repairAndVerifyAgain(input, plan.tables, toRepair) : { tables: [], clean: true } };
    }
    report = summarize({ ...report, state: 'done', finishedAt: new Date().toISOString() });
    return report;
  } catch (err) {
    report = { ...report, state: 'failed', finishedAt: new Date().toISOString(), error: failureCause(err) };
    throw err;
  }
}
