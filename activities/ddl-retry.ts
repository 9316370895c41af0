// A replicated DDL the destination refuses is an "other issue": the stream retries it (the batch rolls
// back and is replayed from the origin) for retry.otherMinutes, then fails the task with the statement
// and the error — it is never skipped. The clock must survive retries, which may run on other workers, so
// it travels in the activity's heartbeat details (Temporal hands the last ones to the next attempt).
import { ApplicationFailure } from '@temporalio/activity';
import type { DdlFailedError } from '../src/ddl/ddl-log';
import type { TaskSpec } from '../src/spec/schema';

export interface DdlFailureClock {
  lsn: string;
  statement: string;
  since: number;
}

/** Worker-level override of the window, for tests (users never need it). */
function windowMs(spec: TaskSpec): number {
  const seconds = Number(process.env.PG_DTS_OTHER_WINDOW_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : spec.retry.otherMinutes * 60_000;
}

/** The clock for this failure: the previous attempts' if they failed on the same statement. */
export function failureClock(previous: DdlFailureClock | undefined, err: DdlFailedError, now = Date.now()): DdlFailureClock {
  if (previous && previous.lsn === err.lsn && previous.statement === err.statement) return previous;
  return { lsn: err.lsn, statement: err.statement, since: now };
}

/** Retryable while inside the window; afterwards non-retryable, which fails the task. */
export function ddlFailure(err: DdlFailedError, clock: DdlFailureClock, spec: TaskSpec, now = Date.now()): ApplicationFailure {
  const elapsed = now - clock.since;
  if (elapsed >= windowMs(spec)) {
    return ApplicationFailure.nonRetryable(`${err.message}\n  failing for ${Math.round(elapsed / 1000)} s, over retry.otherMinutes: the task stops here`, 'DdlFailed');
  }
  return ApplicationFailure.retryable(err.message, 'DdlFailed');
}
