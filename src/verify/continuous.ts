// Continuous verification (spec `verify: { every, mode }`): what the task's status keeps about it, and the
// pure rules the workflow follows — when the next run is due, what a run's report means, when to alert.
// Free of Temporal imports: workflows/continuous-verify.ts runs it, the CLI prints it, tests check it.
import type { VerifyReport } from './types';

/** A verification started by the task and not finished (its workflow may outlive a run of the task). */
export interface RunningVerification {
  workflowId: string;
  startedAt: string;
}

export interface VerificationOutcome {
  workflowId: string;
  startedAt: string;
  finishedAt: string;
  /**
   * clean: nothing differs; differences: something differs (alerted); unsettled: nothing differs but some range
   * kept changing; inconclusive: differences found while the selection changed or a table was copied again
   * (the next run decides, no alert); failed: the verification failed (the task goes on); cancelled: the
   * task was released meanwhile.
   */
  state: 'clean' | 'differences' | 'unsettled' | 'inconclusive' | 'failed' | 'cancelled';
  differingTables: number;
  differences: number;
  unsettled: number;
  /** The differing tables (source names), up to LISTED_TABLES. */
  tables: string[];
  error: string | null;
}

/** `status.verification`: the schedule (carried through continue-as-new with the status) and the last results. */
export interface ContinuousVerificationStatus {
  every: string;
  mode: 'count' | 'checksum';
  /** Verifications started so far: the last one's workflow id ends with this number. */
  runs: number;
  /** When the next one is due (ISO time); null while one runs. */
  nextAt: string | null;
  running: RunningVerification | null;
  last: VerificationOutcome | null;
  /** The last run that found a difference (stays after clean runs). */
  lastDifference: VerificationOutcome | null;
  /** A verify-difference alert fired and no clean run resolved it yet. */
  alerting: boolean;
}

export const LISTED_TABLES = 10;

/** The n-th verification of a task: deterministic, so a replay and the UI agree on it. */
export const continuousVerifyId = (taskWorkflowId: string, n: number): string => `${taskWorkflowId}-verify-${n}`;

export function initialVerification(every: string, mode: ContinuousVerificationStatus['mode'], nextAt: Date): ContinuousVerificationStatus {
  return { every, mode, runs: 0, nextAt: nextAt.toISOString(), running: null, last: null, lastDifference: null, alerting: false };
}

/**
 * The next run: `every` after the previous one started; a run that took longer than that is followed by the
 * next one `every` after it finished, so verifications never run back to back on a database that takes
 * longer to compare than the interval.
 */
export function nextRunAt(startedAt: string, finishedAt: string, everyMs: number): Date {
  const start = Date.parse(startedAt);
  const finish = Date.parse(finishedAt);
  return new Date(finish - start > everyMs ? finish + everyMs : start + everyMs);
}

/** What a finished verification's report means for the task. `overlapped`: the selection changed meanwhile. */
export function outcomeOf(run: RunningVerification, report: VerifyReport, finishedAt: string, overlapped: boolean): VerificationOutcome {
  // Tables whose rows differ, then those whose schema does (report.schema, unless unsettled).
  const schemaTables = report.schema && !report.schema.unsettled ? report.schema.tables.map((t) => t.table) : [];
  const tables = [...new Set([...report.tables.filter((t) => t.differingRanges.length > 0).map((t) => t.table), ...schemaTables])];
  const state = report.differences > 0 ? (overlapped ? 'inconclusive' : 'differences') : report.unsettled > 0 ? 'unsettled' : 'clean';
  return {
    ...run, finishedAt, state, differingTables: report.differingTables, differences: report.differences, unsettled: report.unsettled,
    tables: tables.slice(0, LISTED_TABLES), error: null,
  };
}

export function endedOutcome(run: RunningVerification, state: 'failed' | 'cancelled', error: string | null, finishedAt: string): VerificationOutcome {
  return { ...run, finishedAt, state, differingTables: 0, differences: 0, unsettled: 0, tables: [], error };
}

/**
 * The alert a finished run calls for: firing on a difference, resolved by the first clean run after one. Like
 * the lag alert, a difference still there at the next runs is not alerted again (status shows every run).
 */
export function alertFor(v: Pick<ContinuousVerificationStatus, 'alerting'>, outcome: VerificationOutcome): 'firing' | 'resolved' | null {
  if (outcome.state === 'differences') return v.alerting ? null : 'firing';
  if (outcome.state === 'clean' && v.alerting) return 'resolved';
  return null;
}

/** The status after a run ended. */
export function recordOutcome(v: ContinuousVerificationStatus, outcome: VerificationOutcome, everyMs: number): ContinuousVerificationStatus {
  const alert = alertFor(v, outcome);
  return {
    ...v, running: null, last: outcome,
    lastDifference: outcome.state === 'differences' ? outcome : v.lastDifference,
    alerting: alert === 'firing' ? true : alert === 'resolved' ? false : v.alerting,
    nextAt: nextRunAt(outcome.startedAt, outcome.finishedAt, everyMs).toISOString(),
  };
}
