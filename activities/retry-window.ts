// The two retry windows (spec `retry`): an activity that keeps failing *without progress* for longer than
// its failure class allows stops retrying and fails the task with the cause. The clock must survive
// attempts, which may run on other workers, so it travels in the activity's heartbeat details (Temporal
// hands the last ones to the next attempt); progress (a batch applied, a chunk copied) resets it.
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { classifyFailure, type FailureClass } from '../src/retry/classify';
import type { TaskSpec } from '../src/spec/schema';
import { progressReporter } from './context';

export interface FailureClock {
  kind: FailureClass;
  since: number;
}

/** Worker-level overrides of the windows, for tests (users never need them). */
function windowMs(spec: TaskSpec, kind: FailureClass): number {
  const env = Number(process.env[kind === 'connection' ? 'PG_DTS_CONNECTION_WINDOW_SECONDS' : 'PG_DTS_OTHER_WINDOW_SECONDS']);
  if (Number.isFinite(env) && env > 0) return env * 1000;
  return (kind === 'connection' ? spec.retry.connectionMinutes : spec.retry.otherMinutes) * 60_000;
}

/** What an attempt keeps in its heartbeat details: the clock, and whatever else the activity reports. */
export class RetryWindow {
  private clock: FailureClock | undefined;
  private readonly report = progressReporter(0);

  constructor(private readonly spec: TaskSpec, private readonly activity: string) {
    this.clock = (Context.current().info.heartbeatDetails as { failureClock?: FailureClock } | undefined)?.failureClock;
  }

  /** Heartbeat details carrying the clock along with the activity's own. */
  details<T extends object>(own: T): T & { failureClock?: FailureClock } {
    return this.clock ? { ...own, failureClock: this.clock } : own;
  }

  /** The attempt made progress: whatever failed before is over. */
  progressed(): void {
    this.clock = undefined;
  }

  /** Turns a failure into a retryable one inside the window, a final one past it. */
  fail(err: unknown, own: object = {}): never {
    if (err instanceof ApplicationFailure && err.nonRetryable) throw err;
    if (err instanceof CancelledFailure) throw err;
    const kind = classifyFailure(err);
    const now = Date.now();
    if (!this.clock || this.clock.kind !== kind) this.clock = { kind, since: now };
    Context.current().heartbeat(this.details(own));
    const message = err instanceof Error ? err.message : String(err);
    const elapsed = Math.round((now - this.clock.since) / 1000);
    const setting = kind === 'connection' ? 'retry.connectionMinutes' : 'retry.otherMinutes';
    this.report({ kind: 'retry', retry: { activity: this.activity, failureClass: kind, since: new Date(this.clock.since).toISOString(), message: message.slice(0, 500) } }, true);
    if (now - this.clock.since >= windowMs(this.spec, kind)) {
      throw ApplicationFailure.nonRetryable(`${message}\n  failing for ${elapsed} s without progress, over ${setting}: the task stops here`, 'RetryWindowExceeded');
    }
    throw ApplicationFailure.retryable(message, kind === 'connection' ? 'ConnectionFailure' : 'OtherFailure');
  }
}

/** Runs a one-shot activity body under the windows (no progress inside: it succeeds or fails whole). */
export async function withRetryWindows<T>(spec: TaskSpec, activity: string, body: () => Promise<T>): Promise<T> {
  const window = new RetryWindow(spec, activity);
  try {
    return await body();
  } catch (err) {
    return window.fail(err);
  }
}
