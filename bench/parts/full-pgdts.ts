// pg-dts's side of the full benchmark: a real task through Temporal, `syncTypes: ['schema', 'full']`
// over the case's tables, into a destination where they do not exist (pg-dts creates them). The task
// completes after the full sync (no incremental phase), so the clock runs from the workflow start call
// to its result. The status query's phaseChanges split that into precheck, schema and full.
import type { WorkflowHandle } from '@temporalio/client';
import { WORKFLOW_TYPE, statusQuery } from '../../workflows/messages';
import type { Phase, TaskStatus } from '../../workflows/status';
import type { BenchClusters } from './clusters';
import { checkpoint, resetDestination, rowCounts, type FullCase } from './full-cases';
import { say, sleep } from './log';
import { abandon } from './pgdts-run';
import { BENCH_TASK_QUEUE, workerExit, type BenchTemporal } from './temporal';
import { waitForEqualTables } from './verify';

export interface PgDtsFullResult {
  workflowId: string;
  /** Workflow start call -> result received. */
  seconds: number;
  /** From status.phaseChanges (workflow clock): the time spent in each phase; null if not seen. */
  phases: { start: number | null; precheck: number | null; schema: number | null; full: number | null; end: number | null };
  /** Each activity's run time (started -> completed, from the workflow history), in schedule order. */
  activities: { name: string; seconds: number }[];
  /** Progress signals the task's activities sent to the workflow, and the history's size. */
  signals: number;
  historyEvents: number;
  historyBytes: number | null;
  /** Rows compared: every table's count; ordered md5 of c.md5Tables. */
  verifiedRows: number;
  md5Tables: number;
}

/** Seconds between phase changes: start = workflow start call -> precheck entered; end = released -> result seen. */
function phaseDurations(t0: number, t1: number, changes: TaskStatus['phaseChanges']): PgDtsFullResult['phases'] {
  const at = (p: Phase): number | null => {
    const c = changes.find((x) => x.phase === p);
    return c ? Date.parse(c.at) : null;
  };
  const span = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : (b - a) / 1000);
  const [precheck, schema, full, released] = [at('precheck'), at('schema'), at('full'), at('released')];
  return {
    start: span(t0, precheck),
    precheck: span(precheck, schema ?? full),
    schema: span(schema, full),
    full: span(full, released),
    end: span(released, t1),
  };
}

/**
 * One throwaway task over a one-row table before anything is measured: the worker's first task pays for
 * loading the workflow bundle and the activity modules (2–3 s), which a long-running worker pays once.
 */
export async function warmUpWorker(pg: BenchClusters, temporal: BenchTemporal, timeoutMs: number): Promise<void> {
  await pg.src.query(`CREATE SCHEMA bench_warmup; CREATE TABLE bench_warmup.t (id int PRIMARY KEY); INSERT INTO bench_warmup.t VALUES (1)`);
  const c: FullCase = {
    name: 'warmup', title: 'warm-up', schema: 'bench_warmup', tables: ['t'], rows: 1, publication: '', subscription: '',
    objects: [{ schema: 'bench_warmup' }], psqlPipe: false, md5Tables: ['t'],
  };
  const started = Date.now();
  await pgDtsFullRun(pg, temporal, c, 0, timeoutMs, true);
  await resetDestination(pg.dst, c);
  await pg.src.query(`DROP SCHEMA bench_warmup CASCADE`);
  say(`  worker warmed up by a one-row task (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const tsMs = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  ts ? Number(ts.seconds ?? 0) * 1000 + (ts.nanos ?? 0) / 1e6 : NaN;

/** Activity run times and signal count, read from the finished workflow's history. */
export async function historyFacts(handle: WorkflowHandle): Promise<Pick<PgDtsFullResult, 'activities' | 'signals' | 'historyEvents' | 'historyBytes'>> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const scheduled = new Map<string, string>();
  const started = new Map<string, number>();
  const activities: PgDtsFullResult['activities'] = [];
  let signals = 0;
  for (const e of events) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) scheduled.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    const st = e.activityTaskStartedEventAttributes;
    if (st) started.set(String(st.scheduledEventId), tsMs(e.eventTime));
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const sid = String(done.scheduledEventId);
      activities.push({ name: scheduled.get(sid) ?? '?', seconds: (tsMs(e.eventTime) - (started.get(sid) ?? NaN)) / 1000 });
    }
    if (e.workflowExecutionSignaledEventAttributes) signals++;
  }
  const d = await handle.describe();
  return { activities, signals, historyEvents: events.length, historyBytes: d.historySize ?? null };
}

export async function pgDtsFullRun(pg: BenchClusters, temporal: BenchTemporal, c: FullCase, run: number, timeoutMs: number, quiet = false): Promise<PgDtsFullResult> {
  await resetDestination(pg.dst, c);
  await checkpoint(pg);
  const workflowId = `bench_full_${c.name}_${run}_${Date.now().toString(36)}`;
  const spec = {
    name: workflowId,
    source: { url: pg.source.url() },
    destination: { url: pg.destination.url() },
    syncTypes: ['schema', 'full'],
    objects: c.objects,
  };
  const t0 = Date.now();
  const handle = await temporal.client.workflow.start(WORKFLOW_TYPE, { taskQueue: BENCH_TASK_QUEUE, workflowId, args: [spec] });
  let t1: number;
  // A progress line every 10 s from the status query (cheap; not polled faster, so as not to load the worker).
  let done = false;
  const progress = (async () => {
    while (!done) {
      for (let i = 0; i < 100 && !done; i++) await sleep(100);
      if (done) return;
      const s = await handle.query(statusQuery).catch(() => null);
      if (s) {
        const copied = s.tables.filter((t) => t.state === 'copied').length;
        const rows = s.tables.reduce((n, t) => n + t.rowsCopied, 0);
        say(`  … pg-dts ${((Date.now() - t0) / 1000).toFixed(0)} s: phase ${s.phase}, ${copied}/${s.tables.length} tables copied, ${rows} rows (status is updated every 5 s)`);
      }
    }
  })();
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`pg-dts task ${workflowId} not complete after ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    });
    try {
      await Promise.race([handle.result(), timeout, workerExit(temporal)]);
    } finally {
      clearTimeout(timer);
    }
    t1 = Date.now();
  } catch (err) {
    say(`  pg-dts run failed; worker log: ${temporal.workerLog}`);
    done = true;
    await Promise.race([progress, sleep(5000)]); // a query to a dead worker would wait long
    await abandon(pg, handle, null);
    throw err;
  }
  done = true;
  await progress;

  const status = await handle.query(statusQuery);
  const facts = await historyFacts(handle).catch((err: Error) => {
    say(`  (workflow history not read: ${err.message})`);
    return { activities: [], signals: NaN, historyEvents: NaN, historyBytes: null };
  });
  const phases = phaseDurations(t0, t1, status.phaseChanges);
  const seconds = (t1 - t0) / 1000;
  const f = (v: number | null): string => (v === null ? '?' : v.toFixed(2));
  if (!quiet) {
    say(`  pg-dts schema + full: ${seconds.toFixed(2)} s (start ${f(phases.start)}, precheck ${f(phases.precheck)}, schema ${f(phases.schema)}, full ${f(phases.full)}, result ${f(phases.end)})`);
    say(`  pg-dts activities: ${facts.activities.map((a) => `${a.name} ${a.seconds.toFixed(2)} s`).join(', ')}; ${facts.signals} progress signals, history ${facts.historyEvents} events${facts.historyBytes === null ? '' : ` / ${(facts.historyBytes / 1e6).toFixed(2)} MB`}`);
  }

  // Destination = source: every table's row count, and ordered md5 of the md5 tables (all of them but
  // for the many-small-tables case).
  const [a, b] = [await rowCounts(pg.src, c), await rowCounts(pg.dst, c)];
  const wrong = c.tables.filter((t) => a.get(t) !== b.get(t));
  if (wrong.length) throw new Error(`pg-dts left wrong row counts: ${wrong.slice(0, 5).map((t) => `${t} ${a.get(t)} -> ${b.get(t)}`).join(', ')}`);
  await waitForEqualTables(pg.src, pg.dst, c.md5Tables, 0, c.schema);
  const verifiedRows = c.tables.reduce((n, t) => n + (a.get(t) ?? 0), 0);
  if (!quiet) say(`  pg-dts: destination = source (${verifiedRows} rows in ${c.tables.length} tables by count, ${c.md5Tables.length} table(s) by ordered md5)`);
  const leftovers = await pg.src.query(`SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'dts_sync_%')::int AS slots, (SELECT count(*) FROM pg_publication WHERE pubname LIKE 'dts_pub_%')::int AS pubs`);
  if (leftovers.rows[0].slots || leftovers.rows[0].pubs) throw new Error(`pg-dts left objects on the source: ${JSON.stringify(leftovers.rows[0])}`);
  return { workflowId, seconds, phases, ...facts, verifiedRows, md5Tables: c.md5Tables.length };
}
