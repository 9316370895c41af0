// Continuous verification (spec `verify: { every, mode }`, docs/verification.md): while the task streams, a
// verifyTask child workflow every `every`, beside the stream (never holding it, its signals or a
// modifyObjects up); a run that finds a difference is kept in `status.verification` and alerted
// (verify-difference), a failed run is recorded and the task goes on. The schedule (runs, next time, the
// verification running) lives in the status, so continue-as-new carries it.
//
// A verification may take longer than a run of the task lives: continue-as-new comes when the history is
// long, and holding it off for a verification of hours would let the history grow toward Temporal's limit.
// So the child is started with parentClosePolicy ABANDON (continue-as-new closes the run without touching
// it), its result is awaited by an activity that asks for it by workflow id (activities/verify-wait.ts), and
// the next run awaits the same id from the carried status. A release or a task failure cancels it
// explicitly (cancelRunningVerification): ABANDON would otherwise leave it comparing a released task.
import {
  CancellationScope, condition, getExternalWorkflowHandle, ParentClosePolicy, patched, proxyActivities, startChild, workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import type { AwaitedVerification } from '../activities/verify-wait';
import type { AlertState } from '../src/alerts/event';
import type { SelectedTable } from '../src/catalog/names';
import { parseDuration } from '../src/spec/duration';
import type { TaskSpec } from '../src/spec/schema';
import {
  alertFor, continuousVerifyId, endedOutcome, initialVerification, outcomeOf, recordOutcome, type RunningVerification, type VerificationOutcome,
} from '../src/verify/continuous';
import type { VerifyInput } from '../src/verify/types';
import { failureCause } from './failure-cause';
import type { TaskStatus } from './status';
import { VERIFY_WORKFLOW_TYPE } from './verify-messages';

/** Marks tasks that verify themselves (their child workflows, timers and activities). */
export const CONTINUOUS_VERIFY_PATCH = 'pg-dts-continuous-verify';

// Waits as long as the verification runs; heartbeats every 10 s, so a lost worker's wait moves on in a minute.
const waiter = proxyActivities<typeof activities>({
  startToCloseTimeout: '3650d', heartbeatTimeout: '60s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s' },
});

export interface ContinuousVerifyDeps {
  spec: () => TaskSpec;
  status: TaskStatus;
  tables: () => SelectedTable[];
  /** The stream runs: phase incremental, not paused. */
  streaming: () => boolean;
  /** The selection is changing or a table is being copied again: a comparison now would see it half done. */
  changing: () => boolean;
  /** Released, or continuing as new. */
  done: () => boolean;
  alert: (outcome: VerificationOutcome, state: AlertState) => Promise<unknown>;
}

/** Runs beside the stream until released (or continued as new). */
export async function verifyWhileStreaming(deps: ContinuousVerifyDeps): Promise<void> {
  const verify = deps.spec().verify;
  if (!verify) return;
  await condition(() => deps.streaming() || deps.done());
  // Only specs with `verify` come here, and no release before this one accepted the field; the marker keeps
  // the behaviour apart all the same.
  if (deps.done() || !patched(CONTINUOUS_VERIFY_PATCH)) return;
  const everyMs = parseDuration(verify.every)!; // validated with the spec
  const { status } = deps;
  status.verification ??= initialVerification(verify.every, verify.mode, new Date(Date.now() + everyMs));
  for (;;) {
    const v = status.verification;
    let running = v.running;
    if (!running) {
      const wait = Date.parse(v.nextAt ?? '') - Date.now();
      if (wait > 0 && (await condition(deps.done, wait))) return;
      // Paused, or a table being added or copied again: the run waits for the stream (it is due meanwhile).
      await condition(() => (deps.streaming() && !deps.changing()) || deps.done());
      if (deps.done()) return;
      running = await start(status, verify.mode);
      if (!running) continue;
    }
    const tables = deps.tables();
    const result = await awaitResult(running, deps.done);
    if (!result) return; // released or continuing as new: the running verification stays in the status
    const now = new Date().toISOString();
    const overlapped = deps.changing() || !deps.streaming() || deps.tables() !== tables;
    const outcome = 'report' in result
      ? outcomeOf(running, result.report, now, overlapped)
      : endedOutcome(running, result.cancelled ? 'cancelled' : 'failed', result.error, now);
    const alert = alertFor(status.verification, outcome);
    status.verification = recordOutcome(status.verification, outcome, everyMs);
    // sendAlert reports a webhook failure instead of throwing; an alert never stops the verifications.
    if (alert) await deps.alert(outcome, alert).catch(() => undefined);
  }
}

/** Starts the next verification; a start that fails (e.g. its id taken by one still running) is recorded. */
async function start(status: TaskStatus, mode: 'count' | 'checksum'): Promise<RunningVerification | null> {
  const v = status.verification!;
  const task = workflowInfo().workflowId;
  const run = { workflowId: continuousVerifyId(task, v.runs + 1), startedAt: new Date().toISOString() };
  status.verification = { ...v, runs: v.runs + 1, running: run, nextAt: null };
  const input: VerifyInput = { task, mode };
  try {
    // Not in the task's cancellation scope: only cancelRunningVerification cancels it (a release does).
    await CancellationScope.nonCancellable(() => startChild(VERIFY_WORKFLOW_TYPE, {
      workflowId: run.workflowId, args: [input], parentClosePolicy: ParentClosePolicy.ABANDON,
    }));
    return run;
  } catch (err) {
    const outcome = endedOutcome(run, 'failed', `could not start: ${failureCause(err)}`, new Date().toISOString());
    status.verification = recordOutcome(status.verification, outcome, parseDuration(v.every)!);
    return null;
  }
}

/** The verification's result, or null when the task is released or continues as new first. */
async function awaitResult(run: RunningVerification, done: () => boolean): Promise<AwaitedVerification | null> {
  const scope = new CancellationScope();
  const waiting = scope.run(() => waiter.awaitVerification({ workflowId: run.workflowId }));
  let result: AwaitedVerification | null = null;
  waiting.then((r) => void (result = r), (err) => void (result = { error: failureCause(err), cancelled: false }));
  await condition(() => result !== null || done());
  if (result) return result;
  scope.cancel();
  await waiting.catch(() => undefined);
  return null;
}

/**
 * Cancels the verification the task started, if one runs: called when the task is released or fails (a
 * verification of a task that no longer streams would compare it once, as if paused, and report every write
 * since). Does nothing for tasks without continuous verification, so older histories replay unchanged.
 */
export async function cancelRunningVerification(status: TaskStatus): Promise<void> {
  const running = status.verification?.running;
  if (!running) return;
  // It may have finished meanwhile: the cancellation is then refused, and that is fine.
  await CancellationScope.nonCancellable(() => getExternalWorkflowHandle(running.workflowId).cancel()).catch(() => undefined);
  status.verification = { ...status.verification!, running: null, nextAt: null, last: endedOutcome(running, 'cancelled', null, new Date().toISOString()) };
}
