// `pg-dts verify <task>`: starts a verifyTask workflow, waits for it and prints its report.
import type { Client } from '@temporalio/client';
import { VERIFY_WORKFLOW_TYPE, verifyWorkflowId } from '../../workflows/verify-messages';
import { exitCodeOf } from '../verify/compare';
import { formatRepair } from './verify-repair-text';
import type { VerifyInput, VerifyReport } from '../verify/types';
import { formatSchema } from './verify-schema-text';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const bound = (b: string[] | null): string => (b === null ? '∞' : b.length === 1 ? b[0]! : `(${b.join(', ')})`);

/** The report as text: one line per table, then each differing range and key with both sides' rows. */
export function formatVerifyReport(r: VerifyReport): string {
  const out: string[] = [];
  out.push(`verification of ${r.task} (mode ${r.mode}; task ${r.taskPhase}${r.streaming ? ', streaming: differences re-checked after the stream applied past them' : ', not streaming: compared once'})`);
  for (const t of r.tables) {
    const verdict = t.differingRanges.length ? 'DIFFERS' : t.unsettledRanges ? 'UNSETTLED' : 'ok';
    out.push(`  ${verdict.padEnd(9)} ${t.table} -> ${t.target}: ${int(t.sourceRows)} source rows, ${int(t.destinationRows)} destination rows, ${t.rangesDone}/${t.ranges} ranges (${t.recheckedRanges} re-checked), ${(t.durationMs / 1000).toFixed(1)} s`);
    for (const d of t.differingRanges) out.push(`            range [${bound(d.lo)}, ${bound(d.hi)}): source ${int(d.sourceRows)} rows, destination ${int(d.destinationRows)} rows`);
    for (const k of t.differingKeys) {
      out.push(`            key ${t.keyColumns.map((c, i) => `${c}=${k.key[i]}`).join(', ')}: ${k.kind}; source ${k.source ?? '(no row)'}; destination ${k.destination ?? '(no row)'}`);
    }
    if (t.differingKeyCount > t.differingKeys.length) out.push(`            … ${int(t.differingKeyCount - t.differingKeys.length)} more differing keys`);
    if (t.unsettledRanges) out.push(`            ${t.unsettledRanges} range(s) kept changing under writes and could not be compared`);
  }
  if (r.schema) out.push(...formatSchema(r.schema));
  if (r.state === 'failed') out.push(`FAILED: ${r.error}`);
  else if (r.differences) out.push(`${r.differingTables} table(s) differ${r.schema?.differences ? ` (${r.schema.differences} schema difference(s))` : ''}`);
  else if (r.unsettled) out.push(`no difference found, but ${r.unsettled} range(s) could not be settled`);
  else out.push('no difference');
  if (r.repair) out.push(...formatRepair(r.repair));
  return out.join('\n');
}

export async function verifyCommand(client: Client, taskQueue: string, task: string, input: Omit<VerifyInput, 'task'>, json: boolean): Promise<number> {
  const workflowId = verifyWorkflowId(task, new Date());
  const handle = await client.workflow.start(VERIFY_WORKFLOW_TYPE, { taskQueue, workflowId, args: [{ task, ...input }] });
  if (!json) console.error(`verifying ${task}: workflow ${workflowId} (pg-dts status works on it too: temporal workflow query --workflow-id ${workflowId} --name status)`);
  const report = (await handle.result()) as VerifyReport;
  console.log(json ? JSON.stringify(report, null, 2) : formatVerifyReport(report));
  return exitCodeOf(report);
}
