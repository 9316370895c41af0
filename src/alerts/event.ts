// The JSON body every alert POSTs. It names the task and the numbers, never an endpoint URL, user or
// header: a webhook receiver is often a chat channel.
export type AlertKind = 'lag' | 'retained-wal' | 'failure' | 'ddl-refused' | 'verify-difference';
/** The alerts that fire and resolve with a measured value (a failure and a DDL refusal only fire; the workflow itself judges a verification). */
export type ThresholdAlertKind = Exclude<AlertKind, 'failure' | 'ddl-refused' | 'verify-difference'>;
export type AlertState = 'firing' | 'resolved';

/** Whether the spec wants the ddl-refused alert (on unless false). Here, free of I/O: the workflow asks it. */
export function ddlRefusedEnabled(spec: { alerts?: { ddlRefused?: false | object } }): boolean {
  return !!spec.alerts && spec.alerts.ddlRefused !== false;
}

export interface AlertEvent {
  /** Task id (the workflow id). */
  task: string;
  /** Task name from the spec. */
  name: string;
  kind: AlertKind;
  state: AlertState;
  /** The measured value (seconds of lag, bytes of WAL); null for a failure. */
  value: number | null;
  /** The configured threshold; null for a failure. */
  threshold: number | null;
  /** ISO 8601 time of the evaluation. */
  at: string;
  message: string;
  /** ddl-refused: the statements not replicated since the previous such alert, oldest first. */
  refusals?: { at: string; lsn: string; reason: string; statement: string; detail?: string }[];
  /** verify-difference: the verifyTask workflow whose report this is. */
  verification?: string;
}
