// `cutover`: the switchover as one durable step, an update whose handler runs the steps as activities —
// (freeze the source) → wait until the destination applied up to the source's position → sequences past
// the source's by a margin → row counts → release. Refused with the reason at any step before the release,
// and then the freeze is put back and the task goes on streaming. Progress is `status.cutover`.
import { ApplicationFailure, executeChild, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type * as activities from '../activities';
import type { SelectedTable } from '../src/catalog/names';
import { cutoverBlocker, parseCutoverRequest, type CutoverStatus } from '../src/cutover/types';
import type { TaskSpec } from '../src/spec/schema';
import type { TaskNaming } from '../src/spec/task-id';
import { failureCause } from './failure-cause';
import { cutoverUpdate } from './messages';
import { VERIFY_WORKFLOW_TYPE, verifyWorkflowId } from './verify-messages';
import { exitCodeOf } from '../src/verify/compare';
import type { VerifyReport } from '../src/verify/types';
import type { TaskStatus } from './status';

const steps = proxyActivities<typeof activities>({
  startToCloseTimeout: '20m', heartbeatTimeout: '60s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5, nonRetryableErrorTypes: ['FreezeIncomplete', 'FreezeTimeout', 'CutoverTimeout'] },
});

export interface CutoverDeps {
  task: () => { spec: TaskSpec; taskId: string; naming: TaskNaming };
  tables: () => SelectedTable[];
  status: TaskStatus;
  /** A modifyObjects or a table copy is running or queued. */
  modifying: () => boolean;
  incremental: boolean;
  /** Ends the task: the workflow releases it (slot, publication, capture) and returns its result. */
  release: () => void;
}

/** A report of the last progress report's age: a lag read from an old report says nothing. */
const STALE_REPORT_MS = 60_000;

export function installCutover(deps: CutoverDeps): { running: () => boolean } {
  let running = false;
  const { status } = deps;
  setHandler(cutoverUpdate, async (input) => {
    const parsed = parseCutoverRequest(input);
    if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.problems.join('; '), 'InvalidCutover'); // the validator refused it already
    const options = parsed.request;
    running = true;
    const now = (): string => new Date().toISOString();
    const c: CutoverStatus = {
      state: 'checking-lag', requestedAt: now(), finishedAt: null, options, lagSeconds: null, targetLsn: null, confirmedLsn: null,
      frozen: null, sequences: null, check: null, refusal: null,
    };
    status.cutover = c;
    const task = { ...deps.task(), tables: deps.tables() };
    try {
      const inc = status.incremental;
      const age = inc ? Date.now() - Date.parse(inc.reportedAt) : Infinity;
      if (!inc || age > STALE_REPORT_MS) throw new Refused('the stream has not reported for over a minute: its lag is unknown');
      c.lagSeconds = inc.lagSeconds;
      if (inc.lagSeconds > options.maxLagSeconds) {
        throw new Refused(`the lag is ${inc.lagSeconds.toFixed(1)} s, over --max-lag-seconds ${options.maxLagSeconds}: let the task catch up (throttle, load) and try again`);
      }
      if (options.freezeSource) {
        c.state = 'freezing';
        c.frozen = await steps.freezeSource(task);
      }
      c.state = 'waiting';
      const applied = await steps.waitForApplied({ ...task, waitSeconds: options.waitSeconds });
      c.targetLsn = applied.targetLsn;
      c.confirmedLsn = applied.confirmedLsn;
      c.state = 'sequences';
      c.sequences = await steps.syncSequences({ ...task, margin: options.sequenceMargin });
      if (c.sequences.problems.length) throw new Refused(`sequences could not be set: ${c.sequences.problems.join('; ')}`);
      c.state = 'checking';
      let check = await steps.countRows(task);
      if (!check.ok) {
        // Rows committed after the position waited for (writes not stopped yet) get one more chance.
        const again = await steps.waitForApplied({ ...task, waitSeconds: options.waitSeconds });
        c.targetLsn = again.targetLsn;
        c.confirmedLsn = again.confirmedLsn;
        check = await steps.countRows(task);
      }
      c.check = { method: 'row-counts', ...check };
      if (!check.ok) {
        const off = check.tables.filter((t) => !t.skipped && t.source !== t.destination).map((t) => `${t.table} ${t.source} ≠ ${t.target} ${t.destination}`);
        throw new Refused(`row counts differ (is the source still being written? --freeze-source stops that): ${off.join(', ')}`);
      }
      // Then every row: `pg-dts verify`'s checksum comparison per key range, as a child workflow.
      const self = workflowInfo().workflowId;
      const verifyId = verifyWorkflowId(self, new Date());
      const report = await executeChild(VERIFY_WORKFLOW_TYPE, { workflowId: verifyId, args: [{ task: self, mode: 'checksum' }] }) as VerifyReport;
      c.check = { ...c.check, method: 'checksum', verification: verifyId, ok: exitCodeOf(report) === 0 };
      if (!c.check.ok) {
        throw new Refused(`pg-dts verify found differences (${report.differingTables} table(s) differ, ${report.unsettled} range(s) unsettled): see temporal workflow show --workflow-id ${verifyId}`);
      }
      c.state = 'releasing';
      deps.release();
      return c;
    } catch (err) {
      c.refusal = err instanceof Refused ? err.message : failureCause(err);
      if (options.freezeSource) {
        // Whatever was recorded as revoked goes back (the freeze may have failed after revoking).
        await steps.unfreezeSource(deps.task()).then(
          () => void (c.frozen = null),
          (e) => void (c.refusal += `; putting back the source's grants failed (${failureCause(e)}): run pg-dts cutover again or restore them by hand`),
        );
      }
      c.state = 'refused';
      c.finishedAt = now();
      running = false;
      throw ApplicationFailure.nonRetryable(`cutover refused: ${c.refusal}; the task keeps streaming`, 'CutoverRefused');
    }
  }, {
    validator: (input) => {
      const parsed = parseCutoverRequest(input);
      if (!parsed.ok) throw new Error(`cutover refused: ${parsed.problems.join('; ')}`);
      const blocker = running ? 'a cutover is in progress' : cutoverBlocker({
        phase: status.phase, paused: status.paused, cutover: status.cutover, modifying: deps.modifying(), incremental: deps.incremental,
      });
      if (blocker) throw new Error(`cutover refused: ${blocker}`);
    },
  });
  return { running: () => running };
}

class Refused extends Error {}

/** The cutover once the task is released: done, with when. */
export function finishCutover(c: CutoverStatus | null | undefined): CutoverStatus | undefined {
  if (!c || c.state !== 'releasing') return c ?? undefined;
  return { ...c, state: 'done', finishedAt: new Date().toISOString() };
}
