// The synchronization task: precheck -> schema -> full -> incremental, until released.
// Orchestration only: every side effect is an activity. Deterministic by construction.
import {
  allHandlersFinished, ApplicationFailure, CancellationScope, condition, continueAsNew, isCancellation, patched, setHandler,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { TAGS_ATTRIBUTE, tagSearchAttributes, taskSearchAttributes } from './search-attributes';
import type { AfterDataPlan } from '../activities/schema';
import type { SelectedTable } from '../src/catalog/names';
import { parseObjects, parseTaskSpec, SpecError, endpointLabel } from '../src/spec/validate';
import { parseThrottle, type TaskSpec } from '../src/spec/schema';
import { publicationName, slotName, taskIdFor, type TaskNaming } from '../src/spec/task-id';
import {
  modifyObjectsSignal, modifyObjectsUpdate, pauseSignal, progressSignal, releaseSignal, resumeSignal, selectionQuery, statusQuery,
  throttleSignal, throttleUpdate,
} from './messages';
import { continueAsNewDue, carryOver, type CarriedState } from './carried-state';
import { failureCause } from './failure-cause';
import { countersOf, initialTotals, mergeAttempt, REFUSALS_KEPT, type StreamTotals } from './stream-totals';
import { ddlRefusedEnabled } from '../src/alerts/event';
import type { DdlEntry } from '../src/ddl/ddl-log';
import { recordLag } from './lag-history';
import { modifyObjects } from './modify-objects';
import { newRecopies, recopyTable, tableKeyOf } from './recopy-table';
import type { RecopyRequest } from '../src/ddl/recopy';
import { activitiesFor } from './task-activities';
import { followSequencesWhileStreaming, installSequencesUpdate, type SequenceDeps } from './sequences';
import { finishCutover, installCutover } from './cutover';
import { cancelRunningVerification, verifyWhileStreaming, type ContinuousVerifyDeps } from './continuous-verify';
import type { CutoverStatus } from '../src/cutover/types';
import type { Phase, ProgressReport, TableProgressReport, TaskStatus } from './status';
import { stoppedAfterCancel } from './stopped-activity';

/** Marks tasks that send the ddl-refused alert (its sendAlert activities and timers). */
export const DDL_REFUSED_ALERT_PATCH = 'pg-dts-ddl-refused-alert';

/** Marks tasks whose ids and derived names follow the collision-free scheme (src/spec/task-id.ts). */
export const NAMING_PATCH = 'pg-dts-collision-free-names';
/** Tasks started since tags exist set PgDtsTags themselves when started without it (temporal CLI). */
export const TAGS_PATCH = 'pg-dts-tags-attribute';

export interface SyncTaskResult {
  phase: Phase;
  tables: number;
  consistentPoint: string | null;
  /** Set when the task ended by `cutover` (workflows/cutover.ts). */
  cutover?: CutoverStatus;
}

function validate(input: unknown): TaskSpec {
  try {
    return parseTaskSpec(input);
  } catch (err) {
    if (err instanceof SpecError) {
      throw ApplicationFailure.create({ type: 'InvalidSpec', nonRetryable: true, message: err.message, details: err.problems });
    }
    throw err;
  }
}

/**
 * `input` is the task spec. `carried` is set only by the workflow itself when it continues as new (the
 * history grew past `continueAsNewEvents`): the running task's whole state, so it goes on streaming.
 */
export async function syncTask(input: unknown, carried?: CarriedState): Promise<SyncTaskResult> {
  let spec = validate(input);
  // Tasks started before names were made collision-free ('v1': no patch marker in their history, or carried
  // without a naming) keep the ids and names their objects were created with; a task keeps its naming when
  // it continues as new.
  const naming: TaskNaming = carried ? (carried.naming ?? 'v1') : patched(NAMING_PATCH) ? 'v2' : 'v1';
  const taskId = taskIdFor(workflowInfo().workflowId, naming);
  const taskActivities = activitiesFor(spec);
  const { short, copy, stream, cleanup, probe } = taskActivities;
  // The spec changes only through modifyObjects (its `objects`); activities always get the current one.
  const task = { spec, taskId, naming };
  const wants = (t: TaskSpec['syncTypes'][number]): boolean => spec.syncTypes.includes(t);

  const status: TaskStatus = carried?.status ?? {
    name: spec.name, taskId, phase: 'precheck', paused: false,
    source: endpointLabel(spec.source.url), destination: endpointLabel(spec.destination.url),
    slot: slotName(taskId), publication: publicationName(taskId), syncTypes: spec.syncTypes,
    tables: [], precheck: null, consistentPoint: null, full: null, incremental: null, lastError: null,
    throttle: spec.throttle ?? {}, phaseChanges: [], modification: null, continuedRuns: 0,
  };
  // Search attributes (phase, source, destination) let `temporal workflow list --query` find tasks; only
  // where registered, since upserting an unknown one would fail every workflow task. Asked below, once
  // every handler is registered.
  let searchable = false;
  const enter = (phase: Phase): void => {
    status.phase = phase;
    status.phaseChanges.push({ phase, at: new Date().toISOString() });
    if (searchable) upsertSearchAttributes(taskSearchAttributes(status));
  };
  let releaseRequested = false;

  setHandler(statusQuery, () => status);
  setHandler(pauseSignal, () => void (status.paused = true));
  setHandler(resumeSignal, () => void (status.paused = false));
  setHandler(releaseSignal, () => void (releaseRequested = true));
  // Anyone can signal (temporal CLI): check the payload, and on a bad one keep the current limits and say
  // why in lastError rather than throw, which would fail the workflow task.
  setHandler(throttleSignal, (input: unknown) => {
    const parsed = parseThrottle(input);
    if (parsed.ok) status.throttle = parsed.throttle;
    else status.lastError = `throttle signal ignored: ${parsed.problems.join('; ')}`;
  });
  // The same as updates: a bad payload is refused by the validator, with the reason, and never recorded.
  setHandler(throttleUpdate, (input) => {
    const parsed = parseThrottle(input);
    if (parsed.ok) status.throttle = parsed.throttle; // the validator refused anything else
    return status.throttle;
  }, {
    validator: (input) => {
      const parsed = parseThrottle(input);
      if (!parsed.ok) throw new Error(`throttle refused: ${parsed.problems.join('; ')}`);
    },
  });
  // The new selection waits until the stream runs (a task still copying finishes its first selection).
  const pendingObjects: { objects: TaskSpec['objects']; at: string }[] = carried?.pendingObjects ?? [];
  const queueModification = (objects: TaskSpec['objects']): string => {
    const at = new Date().toISOString();
    pendingObjects.push({ objects, at });
    status.modification = { state: 'waiting', added: [], removed: [], requestedAt: at, finishedAt: null, problems: [] };
    return at;
  };
  setHandler(modifyObjectsSignal, (input: unknown) => {
    const parsed = parseObjects(input);
    if (!parsed.ok) {
      status.lastError = `modifyObjects signal ignored: ${parsed.problems.join('; ')}`;
      return;
    }
    queueModification(parsed.objects);
  });
  setHandler(modifyObjectsUpdate, (input) => {
    const parsed = parseObjects(input);
    if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.problems.join('; '), 'InvalidObjects'); // the validator refused it already
    return { queuedAt: queueModification(parsed.objects) };
  }, {
    validator: (input) => {
      const parsed = parseObjects(input);
      if (!parsed.ok) throw new Error(`modifyObjects refused: ${parsed.problems.join('; ')}`);
      if (!wants('incremental')) throw new Error('modifyObjects refused: it applies to tasks with incremental sync');
    },
  });
  // The stream's counters and refused DDL over the task's life: each attempt reports its own (stream-totals.ts).
  let streamTotals: StreamTotals | undefined = carried?.streamTotals;
  const foldAttempt = (report: Extract<ProgressReport, { kind: 'incremental' }>, shownBefore: TaskStatus['incremental']): DdlEntry[] => {
    let totals = streamTotals ?? initialTotals(shownBefore);
    if (report.previous) totals = mergeAttempt(totals, { ...report.previous, refusals: [], recent: [], ignoredColumns: [] }).totals;
    const ddl = report.stats.ddl;
    const merged = mergeAttempt(totals, { ...report.attempt!, refusals: ddl?.refusals ?? [], recent: ddl?.recent ?? [], ignoredColumns: report.stats.ignoredColumns ?? [] });
    streamTotals = merged.totals;
    const c = countersOf(streamTotals);
    status.incremental = {
      ...status.incremental!, rows: c.rows, bytes: c.bytes, transactions: c.transactions, ignoredColumns: streamTotals.ignoredColumns,
      ddl: {
        ...ddl, applied: c.ddlApplied, refused: streamTotals.refused, refusedBy: streamTotals.refusedBy, recent: streamTotals.recent,
        refusals: streamTotals.refusals, ignoredMessages: c.ignoredMessages,
      },
    };
    return merged.newRefusals;
  };
  // Refused DDL not alerted yet: sent by refusalAlertsUntilReleased, at most once per alerts.ddlRefused.everySeconds.
  const pendingRefusalAlerts: DdlEntry[] = carried?.pendingRefusalAlerts ?? [];
  const queueRefusalAlerts = (refusals: DdlEntry[]): void => {
    if (refusals.length && ddlRefusedEnabled(spec)) pendingRefusalAlerts.push(...refusals.slice(-REFUSALS_KEPT));
    if (pendingRefusalAlerts.length > REFUSALS_KEPT) pendingRefusalAlerts.splice(0, pendingRefusalAlerts.length - REFUSALS_KEPT);
  };
  // Sequences follow the source's while streaming (workflows/sequences.ts); `cutover` ends the task (cutover.ts).
  const sequenceDeps: SequenceDeps = {
    task: () => task, tables: () => tables, streaming: () => status.phase === 'incremental' || status.phase === 'paused',
    held: () => cutover.running(), done: () => releaseRequested || continuing,
  };
  installSequencesUpdate(sequenceDeps);
  const cutover = installCutover({
    task: () => task, tables: () => tables, status, incremental: wants('incremental'),
    modifying: () => modifying || pendingObjects.length > 0 || pendingRecopies.length > 0,
    release: () => void (releaseRequested = true),
  });
  setHandler(progressSignal, (report) => {
    if (report.kind === 'alert') {
      const others = (status.firingAlerts ?? []).filter((kind) => kind !== report.alert);
      status.firingAlerts = report.state === 'firing' ? [...others, report.alert] : others;
      return;
    }
    if (report.kind === 'retry') {
      if (status.phase === 'failed') return; // the last attempt's report, behind the failure that ended the task
      status.retrying = report.retry;
      status.lastError = `${report.retry.activity} (${report.retry.failureClass} failure, retrying since ${report.retry.since}): ${report.retry.message}`;
      return;
    }
    // A progress report comes from an attempt that runs (unless it says it is failing).
    if (report.kind !== 'incremental' || !report.failing) status.retrying = null;
    if (report.kind === 'incremental') {
      const shownBefore = status.incremental;
      queueRecopies(report.stats.ddl?.recopy);
      status.incremental = { ...report.stats, lagHistory: recordLag(status.incremental?.lagHistory, report.stats) };
      if (report.attempt) queueRefusalAlerts(foldAttempt(report, shownBefore));
      return;
    }
    if (report.kind === 'slot') {
      const { sourceLsn, retainedWalBytes, retainedWalWarning, reportedAt, lagSeconds } = report;
      // Paused before the stream's first report: nothing applied yet, lag unknown until it streams.
      const before = status.incremental ?? {
        appliedLsn: null, receivedLsn: null, confirmedLsn: null, transactions: 0, batches: 0, rows: 0, bytes: 0,
        missingRows: 0, replayedBatches: 0, lagSeconds: 0, rowsPerSecond: 0, bytesPerSecond: 0,
      };
      status.incremental = { ...before, sourceLsn, retainedWalBytes, retainedWalWarning, reportedAt };
      // Nothing is applied while paused: the watch measures the lag on the source's clock.
      if (typeof lagSeconds === 'number') {
        status.incremental = { ...status.incremental, lagSeconds, rowsPerSecond: 0, bytesPerSecond: 0, lagHistory: recordLag(status.incremental.lagHistory, { reportedAt, lagSeconds }) };
      }
      return;
    }
    applyTableReports(report.tables);
    if (report.overall) status.full = report.overall;
  });

  const applyTableReports = (reports: TableProgressReport[]): void => {
    const index = new Map(status.tables.map((row) => [row.source, row]));
    for (const t of reports) {
      const row = index.get(t.table);
      if (!row) continue;
      Object.assign(row, {
        rowsCopied: t.rows, bytesCopied: t.bytes, state: t.done ? 'copied' : t.rows > 0 || t.chunksDone > 0 ? 'copying' : 'pending',
        estimatedRows: t.estimatedRows, estimatedBytes: t.estimatedBytes, chunks: t.chunks, chunksDone: t.chunksDone,
        rowsPerSecond: t.rowsPerSecond, etaSeconds: t.etaSeconds,
      });
    }
  };

  let tables: SelectedTable[] = carried?.tables ?? [];
  setHandler(selectionQuery, () => ({ spec, tables, taskId })); // what a verification compares (workflows/verify-task.ts)
  // Tables to copy again (workflows/recopy-table.ts): queued from the stream's reports, one at a time.
  const pendingRecopies: RecopyRequest[] = carried?.pendingRecopies ?? [];
  let suspended: string[] = [];
  const recopiedAt: Record<string, string> = carried?.recopiedAt ?? {};
  const queueRecopies = (reported: RecopyRequest[] | undefined): void => {
    for (const r of newRecopies(pendingRecopies, reported, recopiedAt, suspended)) {
      pendingRecopies.push(r);
      status.recopies = [...(status.recopies ?? []).filter((x) => x.table !== tableKeyOf(r.table)).slice(-19), {
        table: tableKeyOf(r.table), reason: r.reason, requestedAt: r.lsn, state: 'queued', startedAt: null, finishedAt: null, problems: [],
      }];
    }
  };
  let catchUpUntil: string | null = carried?.catchUpUntil ?? null;
  let touchedSource = !!carried; // a blocked precheck creates nothing, so it has nothing to clean up
  // Set once the history is long enough to continue as new; the stream stops at the next safe point.
  let continuing = false;
  let modifying = false;
  const continueDue = (): boolean => !modifying && !holdRequested && !cutover.running() && continueAsNewDue(spec);

  // modifyObjects may hold the stream (stopped, drained) for a moment to hand a table over exactly.
  let holdRequested = false;
  let streamStopped = true;
  const hold = {
    holdStream: async (): Promise<void> => {
      holdRequested = true;
      await condition(() => streamStopped);
    },
    releaseStream: (): void => void (holdRequested = false),
  };

  const streamUntilReleased = async (): Promise<void> => {
    while (!releaseRequested) {
      if (continueDue()) {
        continuing = true;
        return;
      }
      if (status.paused) {
        if (status.phase !== 'paused') enter('paused');
        // The slot keeps WAL on the source while paused: watch it (status, retained-WAL alert) until resumed.
        const watch = new CancellationScope();
        const watching = watch.run(() => stream.watchPausedSlot(task));
        watching.catch(() => undefined); // advisory: a failed watch never fails the task
        await condition(() => !status.paused || releaseRequested || continueDue());
        watch.cancel();
        await watching.catch(() => undefined);
        continue;
      }
      if (holdRequested) {
        await condition(() => !holdRequested || releaseRequested);
        continue;
      }
      if (status.phase !== 'incremental') enter('incremental');
      const scope = new CancellationScope();
      streamStopped = false;
      const running = scope.run(() => stream.incrementalSync({ ...task, tables, catchUpUntil, ...(suspended.length ? { suspended } : {}) }));
      running.catch(() => undefined);
      await Promise.race([running, condition(() => status.paused || releaseRequested || holdRequested || continueDue())]);
      scope.cancel();
      try {
        await running;
      } catch (err) {
        if (!stoppedAfterCancel(err)) throw err;
      } finally {
        streamStopped = true;
      }
    }
  };

  // Continuous verification (spec `verify`): a verifyTask child every `every` while streaming (continuous-verify.ts).
  const verification: ContinuousVerifyDeps = {
    spec: () => spec, status, tables: () => tables,
    streaming: () => status.phase === 'incremental' && !status.paused,
    changing: () => modifying || holdRequested || pendingObjects.length > 0 || pendingRecopies.length > 0,
    done: () => releaseRequested || continuing,
    alert: (outcome, state) => cleanup.sendAlert({ ...task, kind: 'verify-difference', outcome, state }),
  };

  const recopyNext = async (): Promise<void> => {
    const request = pendingRecopies[0]!;
    modifying = true;
    try {
      const copiedAt = await recopyTable({
        activities: taskActivities, taskId, naming,
        spec: () => task.spec,
        tables: () => tables,
        suspended: () => suspended,
        commit: (nextTables, nextSuspended) => {
          tables = nextTables;
          suspended = nextSuspended;
        },
        ...hold,
        tableRows: () => status.tables,
        report: (r) => void (status.recopies = [...(status.recopies ?? []).filter((x) => x.table !== r.table), r]),
      }, request);
      if (copiedAt) recopiedAt[tableKeyOf(request.table)] = copiedAt;
    } finally {
      pendingRecopies.shift();
      modifying = false;
    }
  };

  const refusalAlertsUntilReleased = async (): Promise<void> => {
    for (;;) {
      await condition(() => pendingRefusalAlerts.length > 0 || releaseRequested || continuing);
      if (releaseRequested || continuing) return;
      // Only reports of this release's streams queue refusals; the marker keeps histories that have it apart.
      if (!patched(DDL_REFUSED_ALERT_PATCH)) return;
      const refusals = pendingRefusalAlerts.splice(0);
      await cleanup.sendAlert({ ...task, kind: 'ddl-refused', refusals }).catch(() => undefined);
      const every = spec.alerts?.ddlRefused === false ? 0 : (spec.alerts?.ddlRefused?.everySeconds ?? 60);
      if (every > 0) await condition(() => releaseRequested || continuing, every * 1000);
    }
  };

  const modificationsUntilReleased = async (): Promise<void> => {
    for (;;) {
      await condition(() => ((pendingObjects.length > 0 || pendingRecopies.length > 0) && !continuing) || releaseRequested || continuing);
      if (releaseRequested || continuing) return;
      if (pendingRecopies.length) {
        await recopyNext();
        continue;
      }
      const next = pendingObjects.shift()!;
      modifying = true;
      await modifyObjects(
        {
          activities: taskActivities, taskId, naming,
          spec: () => task.spec,
          tables: () => tables,
          commit: (nextSpec, nextTables) => {
            spec = nextSpec;
            task.spec = nextSpec;
            tables = nextTables;
          },
          ...hold,
          tableRows: () => status.tables,
          report: (m) => void (status.modification = m),
        },
        next.objects,
        next.at,
      ).finally(() => void (modifying = false));
    }
  };

  const phases = async (): Promise<void> => {
    if (carried) {
      // Continued as new: the copy is done and the state is here; go on streaming.
      await Promise.all([streamUntilReleased(), modificationsUntilReleased(), followSequencesWhileStreaming(sequenceDeps), refusalAlertsUntilReleased(), verifyWhileStreaming(verification)]);
      return;
    }
    const checked = await short.precheck(task);
    status.precheck = checked.report;
    tables = checked.tables;
    status.tables = tables.map((t) => ({
      source: `${t.source.schema}.${t.source.name}`, target: `${t.target.schema}.${t.target.name}`,
      state: 'pending', rowsCopied: 0, bytesCopied: 0,
    }));
    // Our own empty tables get their keys after the data (building once beats maintaining row by row).
    const deferKeys = wants('schema') && wants('full') && spec.conflictingTables === 'precheck';
    let afterData: AfterDataPlan | undefined;
    if (wants('schema')) {
      enter('schema');
      afterData = (await short.createSchema({ ...task, tables, deferKeys })).afterData;
    }
    touchedSource = true;
    if (wants('full')) {
      enter('full');
      const copied = await copy.fullSync({ ...task, tables, withSlot: wants('incremental') });
      status.consistentPoint = copied.consistentPoint;
      catchUpUntil = copied.catchUpUntil;
      applyTableReports(copied.tables);
      await short.finishSchema({ ...task, tables, createObjects: wants('schema'), deferKeys, plan: afterData });
    } else if (wants('schema')) {
      await short.finishSchema({ ...task, tables, createObjects: true, plan: afterData });
    }
    if (wants('incremental')) await Promise.all([streamUntilReleased(), modificationsUntilReleased(), followSequencesWhileStreaming(sequenceDeps), refusalAlertsUntilReleased(), verifyWhileStreaming(verification)]);
    else if (pendingObjects.length) status.lastError = 'modifyObjects applies to tasks with incremental sync; this task has finished its selection';
  };

  // Not before the handlers above: a status query or an update sent right after the start must find them
  // (signals would wait for their handler; queries fail instead).
  searchable = carried?.searchable ?? (await probe.searchAttributesRegistered().catch(() => false));
  // Tags (PgDtsTags): `pg-dts start` sets them as it starts the task; one started otherwise (the temporal
  // CLI) sets them here, where the namespace has the attribute. A run continued as new keeps them (the
  // server copies a run's search attributes to the next).
  const tagged = !carried && tagSearchAttributes(spec.tags).length > 0;
  if (tagged && patched(TAGS_PATCH) && workflowInfo().typedSearchAttributes.get(TAGS_ATTRIBUTE) === undefined) {
    if (await probe.tagsAttributeRegistered().catch(() => false)) upsertSearchAttributes(tagSearchAttributes(spec.tags));
  }
  if (!carried) enter('precheck');

  const main = new CancellationScope();
  const mainRun = main.run(phases);
  mainRun.catch(() => undefined);
  try {
    await Promise.race([mainRun, condition(() => releaseRequested)]);
    if (releaseRequested) {
      main.cancel();
      await mainRun.catch((err) => {
        if (!isCancellation(err)) throw err;
      });
    }
  } catch (err) {
    // The cause, not Temporal's wrapper ("Activity task failed"); nothing is retrying any more.
    status.lastError = failureCause(err);
    status.retrying = null;
    enter('failed');
    await cancelRunningVerification(status);
    // A task that fails for good must not leave a slot holding WAL on the source.
    if (touchedSource) await CancellationScope.nonCancellable(() => cleanup.releaseTask({ ...task, bestEffort: true })).catch(() => undefined);
    // The alert never changes how the task ends: sendAlert reports a webhook failure instead of throwing.
    if (spec.alerts && spec.alerts.onFailure !== false) {
      await CancellationScope.nonCancellable(() => cleanup.sendAlert({ ...task, kind: 'failure', message: status.lastError ?? 'failed' })).catch(() => undefined);
    }
    throw err;
  }
  if (continuing && !releaseRequested) {
    // Signals and updates received so far are in the carried state; let their handlers finish first.
    await condition(allHandlersFinished);
    status.continuedRuns = (status.continuedRuns ?? 0) + 1;
    return continueAsNew<typeof syncTask>(spec, carryOver({ spec, status, tables, catchUpUntil, pendingObjects, searchable, naming, pendingRecopies, recopiedAt, streamTotals, pendingRefusalAlerts }));
  }
  if (wants('incremental') || releaseRequested) {
    await cancelRunningVerification(status);
    enter('releasing');
    await CancellationScope.nonCancellable(() => short.releaseTask(task));
  }
  status.cutover = finishCutover(status.cutover);
  enter('released');
  return { phase: status.phase, tables: tables.length, consistentPoint: status.consistentPoint, ...(status.cutover ? { cutover: status.cutover } : {}) };
}
