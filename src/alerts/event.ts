// The JSON body every alert POSTs. It names the task and the numbers, never an endpoint URL, user or
// header: a webhook receiver is often a chat channel.
export type AlertKind = 'lag' | 'retained-wal' | 'failure';
/** The alerts that fire and resolve with a measured value (a failure only fires). */
export type ThresholdAlertKind = Exclude<AlertKind, 'failure'>;
export type AlertState = 'firing' | 'resolved';

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
}
