// Why a task failed, in words: Temporal wraps an activity's error (ActivityFailure: "Activity task failed")
// around the ApplicationFailure the activity threw, which may itself carry causes. `status.lastError` and
// the failure alert name the activity and the innermost messages, not the wrapper's. Pure: the workflow and
// the CLI use it, unit tests feed it failures built by hand.

interface FailureLike {
  name?: string;
  message?: string;
  cause?: unknown;
  /** ActivityFailure */
  activityType?: string;
  /** ApplicationFailure */
  type?: string | null;
  /** TimeoutFailure */
  timeoutType?: unknown;
}

/** Wrappers whose own message says nothing about the cause. */
const WRAPPER = /^(Activity task failed|Child Workflow execution failed|Workflow execution failed)$/;

/** The message that says why: the chain's innermost application messages, with the activity that failed. */
export function failureCause(err: unknown): string {
  const chain: FailureLike[] = [];
  for (let e = err as FailureLike | undefined; e && typeof e === 'object' && chain.length < 10; e = e.cause as FailureLike | undefined) chain.push(e);
  if (!chain.length) return String(err);
  const activity = chain.find((e) => typeof e.activityType === 'string')?.activityType;
  const parts: string[] = [];
  for (const e of chain) {
    const timedOut = e.timeoutType !== undefined && e.timeoutType !== null;
    const message = (e.message ?? '').trim() || (timedOut ? 'timed out' : '');
    if (!message || WRAPPER.test(message)) continue;
    // An ApplicationFailure repeats its cause's message in its own (RetryWindowExceeded does): say it once.
    if (parts.some((p) => p.includes(message))) continue;
    const type = typeof e.type === 'string' && e.type && e.type !== 'Error' ? ` (${e.type})` : '';
    const timeout = timedOut ? ` (timeout ${String(e.timeoutType)})` : '';
    parts.push(`${message}${type}${timeout}`);
  }
  const text = parts.length ? parts.join('; caused by: ') : (chain[0]!.message ?? String(err));
  return activity ? `${activity}: ${text}` : text;
}
