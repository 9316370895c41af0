// The DDL-refused alert: the stream met DDL it does not replicate (refused, or a truncated partition the
// destination lacks), so the destination's schema now differs from the source's until someone acts. The
// workflow collects the refusals (counted once each, workflows/stream-totals.ts) and calls the sendAlert
// activity at most once per `alerts.ddlRefused.everySeconds`, listing what was refused meanwhile.
export { ddlRefusedEnabled } from './event';
import type { DdlEntry } from '../ddl/ddl-log';
import type { TaskSpec } from '../spec/schema';
import { ddlRefusedEnabled, type AlertEvent } from './event';
import { postAlert } from './webhook';

/** Statements listed in one alert; the rest are counted (status keeps the task's last 50). */
const LISTED = 20;
const clip = (text: string, n: number): string => (text.length > n ? `${text.slice(0, n)}…` : text);

export function ddlRefusedEvent(taskId: string, spec: Pick<TaskSpec, 'name'>, refusals: DdlEntry[], now = new Date()): AlertEvent {
  const listed = refusals.slice(-LISTED);
  const lines = listed.map((r) => `${r.outcome} at ${r.lsn}: ${clip(r.statement.replace(/\s+/g, ' '), 200)}`);
  const more = refusals.length > listed.length ? ` (the first ${refusals.length - listed.length} not listed; see pg-dts status)` : '';
  return {
    task: taskId, name: spec.name, kind: 'ddl-refused', state: 'firing', value: refusals.length, threshold: null, at: now.toISOString(),
    message: `task ${spec.name}: ${refusals.length} DDL statement${refusals.length === 1 ? '' : 's'} not replicated${more}: ${lines.join('; ')}`,
    refusals: listed.map((r) => ({ at: r.at, lsn: r.lsn, reason: r.outcome, statement: r.statement, ...(r.detail ? { detail: r.detail } : {}) })),
  };
}

/** Returns whether the alert was delivered (false when none is configured or the webhook failed). */
export async function sendDdlRefusedAlert(taskId: string, spec: Pick<TaskSpec, 'name' | 'alerts'>, refusals: DdlEntry[]): Promise<boolean> {
  if (!ddlRefusedEnabled(spec) || !refusals.length) return false;
  return postAlert(spec.alerts!.webhook, ddlRefusedEvent(taskId, spec, refusals));
}
