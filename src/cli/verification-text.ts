// What `pg-dts status` prints about continuous verification (spec `verify`, status.verification). Pure.
import type { ContinuousVerificationStatus, VerificationOutcome } from '../verify/continuous';

function outcomeText(o: VerificationOutcome): string {
  const n = o.differingTables;
  switch (o.state) {
    case 'differences': {
      const more = n > o.tables.length ? `, ${n - o.tables.length} more` : '';
      return `DIFFERENCES in ${n} table${n === 1 ? '' : 's'} (${o.tables.join(', ')}${more}; ${o.differences} differing range(s))`;
    }
    case 'unsettled': return `nothing differs, ${o.unsettled} range(s) unsettled (written throughout)`;
    case 'inconclusive': return `${o.differences} differing range(s) while the selection changed: the next run decides`;
    case 'failed': return `FAILED: ${(o.error ?? '').split('\n')[0]}`;
    default: return o.state;
  }
}

/** A run overdue by more than this is waiting for the task (paused, or its selection changing). */
const OVERDUE_MS = 5_000;

/** Lines for `pg-dts status`: the schedule and the last run; the last difference when a clean run followed it. */
export function verificationLines(v: ContinuousVerificationStatus, now = new Date()): string[] {
  const head = `verify every ${v.every} (${v.mode}): `;
  const last = v.last ? `last ${v.last.workflowId} ${outcomeText(v.last)} at ${v.last.finishedAt}` : 'no run finished yet';
  const overdue = v.nextAt !== null && Date.parse(v.nextAt) < now.getTime() - OVERDUE_MS;
  const next = v.running
    ? `running ${v.running.workflowId} since ${v.running.startedAt}`
    : overdue ? `due since ${v.nextAt}, waiting while the task is paused or its selection changes` : v.nextAt ? `next at ${v.nextAt}` : '';
  const lines = [`  ${head}${last}${next ? `; ${next}` : ''}`];
  const d = v.lastDifference;
  if (d && d !== v.last && d.workflowId !== v.last?.workflowId) lines.push(`    last difference: ${d.workflowId} ${outcomeText(d)} at ${d.finishedAt}`);
  return lines;
}
