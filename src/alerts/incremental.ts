// Lag and retained-WAL alerts, evaluated with the numbers the incremental activity reports every 3 s
// (and, while the task is paused, with the slot's retained WAL: activities/paused-watch.ts).
// Which alerts are firing is kept in the workflow's status (reported at each transition, read back when
// a stream or watch starts), so a restart neither fires a still-true alert again nor forgets to resolve it.
import type { TaskSpec } from '../spec/schema';
import type { AlertEvent, AlertState, ThresholdAlertKind } from './event';
import { ThresholdMonitor } from './threshold';
import { postAlert } from './webhook';

export interface AlertSample {
  /** null: not known (nothing applied yet to measure from). */
  lagSeconds: number | null;
  retainedWalBytes: number | null;
}

interface Rule {
  kind: ThresholdAlertKind;
  monitor: ThresholdMonitor;
  value: (s: AlertSample) => number | null;
  message: (state: AlertState, value: number, threshold: number, forSeconds: number) => string;
}

/** Returns the evaluator to call with every sample; a no-op when the spec has no such alerts. */
export function incrementalAlerts(
  taskId: string,
  spec: Pick<TaskSpec, 'name' | 'alerts'>,
  send: (webhook: NonNullable<TaskSpec['alerts']>['webhook'], e: AlertEvent) => Promise<unknown> = postAlert,
  opts: {
    paused?: boolean;
    /** The alerts firing when this evaluator starts (the workflow's `status.firingAlerts`). */
    firing?: readonly ThresholdAlertKind[];
    /** Told of every transition, to record it in the workflow's status. */
    onTransition?: (kind: ThresholdAlertKind, state: AlertState) => void;
  } = {},
): (sample: AlertSample, nowMs: number) => void {
  const during = opts.paused ? ' while the task is paused' : '';
  const wasFiring = (kind: ThresholdAlertKind): boolean => opts.firing?.includes(kind) ?? false;
  const alerts = spec.alerts;
  if (!alerts) return () => undefined;
  const rules: Rule[] = [];
  if (alerts.lag) {
    rules.push({
      kind: 'lag',
      monitor: new ThresholdMonitor(alerts.lag.seconds, alerts.lag.forSeconds * 1000, wasFiring('lag'), true),
      value: (s) => s.lagSeconds,
      message: (state, v, t, f) => state === 'firing'
        ? `task ${spec.name}: replication lag ${v.toFixed(1)} s has been above ${t} s for ${f.toFixed(0)} s${during}`
        : `task ${spec.name}: replication lag is back to ${v.toFixed(1)} s${during} (threshold ${t} s)`,
    });
  }
  if (alerts.retainedWalBytes !== undefined) {
    rules.push({
      kind: 'retained-wal',
      monitor: new ThresholdMonitor(alerts.retainedWalBytes, 0, wasFiring('retained-wal')),
      value: (s) => s.retainedWalBytes,
      message: (state, v, t) => state === 'firing'
        ? `task ${spec.name}: the replication slot retains ${v} bytes of WAL on the source${during} (threshold ${t})`
        : `task ${spec.name}: retained WAL is back to ${v} bytes${during} (threshold ${t})`,
    });
  }
  return (sample, nowMs) => {
    for (const rule of rules) {
      const value = rule.value(sample);
      const since = rule.monitor.since;
      const state = rule.monitor.update(value, nowMs);
      if (!state || value === null) continue;
      const threshold = rule.monitor.threshold;
      // Since when it was above: known only after this sample for a new evaluator (lag: from its age).
      const from = rule.monitor.since ?? since;
      const forSeconds = from === null ? 0 : (nowMs - from) / 1000;
      opts.onTransition?.(rule.kind, state);
      // Fire and forget: the reporting interval never waits on a webhook.
      void send(alerts.webhook, {
        task: taskId, name: spec.name, kind: rule.kind, state, value, threshold, at: new Date(nowMs).toISOString(),
        message: rule.message(state, value, threshold, forSeconds),
      });
    }
  };
}
