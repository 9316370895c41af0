// What `status` shows while a task goes through trouble (issue 15, item 8): the stream's counters and the
// refused DDL last the task's life (pause/resume, retries, continue-as-new) and each refusal raises the
// ddl-refused alert once; lag grows on the source's clock while nothing is applied (stuck on a failing
// statement, paused) and the lag alert fires then; a paused task's retained WAL is reported as it grows; a
// failed task's status is in test/e2e/failed-status.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { pauseSignal, resumeSignal, statusQuery, throttleSignal } from '../../workflows/messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { startStreamingTask } from '../harness/streaming-task';
import { startWebhookReceiver, type ReceivedAlert } from '../harness/webhook-receiver';
import { waitFor } from '../harness/checksum';
import { pgDts, startWorker, temporalClient } from '../harness/temporal';
import { WORKER_ENV } from '../harness/sample-fixture';

const QUEUE = 'pg-dts-status-events';


describe('status while a task is in trouble', () => {
  let cs: ClusterSessions;
  let temporal: Client;
  let alerts: ReceivedAlert[] = [];
  let webhookUrl = '';
  const status = (task: string) => temporal.workflow.getHandle(task).query(statusQuery);
  const webhook = () => webhookUrl;
  const start = (task: string, queue: string, extra: Record<string, unknown>) => startStreamingTask(temporal, cs, task, queue, extra);

  before(async () => {
    cs = await openClusterSessions();
    ({ url: webhookUrl, alerts } = await startWebhookReceiver());
    temporal = await temporalClient();
    const env = { ...WORKER_ENV, PG_DTS_WEBHOOK_ALLOW: '127.0.0.1' };
    startWorker({ ...env, PG_DTS_OTHER_WINDOW_SECONDS: '600' }, QUEUE);
  });
  after(() => cs?.close());

  const MAIN = 'events-main';
  const rowsIn = async (): Promise<number> => (await cs.dst.query('SELECT count(*)::int AS n FROM ev.t')).rows[0].n;
  const refusedAlerts = () => alerts.filter((a) => a.name === MAIN && a.kind === 'ddl-refused');
  const alertedStatements = () => refusedAlerts().flatMap((a) => (a.refusals ?? []).map((r) => r.statement));
  const refuse = (column: string) => cs.src.query(`SET session_replication_role = replica; ALTER TABLE ev.t ADD COLUMN ${column} int; RESET session_replication_role`);
  const statusWhere = (what: string, ok: (s: Awaited<ReturnType<typeof status>>) => boolean, ms = 60_000) =>
    waitFor(what, async () => {
      const s = await status(MAIN);
      return ok(s) ? s : undefined;
    }, ms, 250);

  it('keeps rows, DDL counts, refused DDL and ignored columns over pause/resume, retries and continue-as-new; alerts each refusal once', async () => {
    await cs.src.query('CREATE SCHEMA ev; CREATE TABLE ev.t (id int PRIMARY KEY, v text)');
    await start(MAIN, QUEUE, {
      objects: [{ schema: 'ev' }], continueAsNewEvents: 200,
      alerts: { webhook: { url: webhook() }, lag: { seconds: 3, forSeconds: 5 }, ddlRefused: { everySeconds: 5 } },
    });
    await cs.src.query(`INSERT INTO ev.t SELECT g, 'v' || g FROM generate_series(1, 10) g`);
    await refuse('c'); // refused (replica-role): the destination never gets column c
    await cs.src.query(`INSERT INTO ev.t (id, v, c) VALUES (11, 'with c', 1)`);
    let s = await statusWhere('11 rows, one refusal', (x) => x.incremental?.rows === 11 && x.incremental?.ddl?.refusedBy['replica-role'] === 1 && (x.incremental?.ignoredColumns ?? []).includes('ev.t.c'));
    assert.equal(s.incremental!.ddl!.refusals!.length, 1);
    assert.match(s.incremental!.ddl!.refusals![0]!.statement, /ADD COLUMN c int/);
    assert.equal(s.incremental!.ddl!.refusals![0]!.outcome, 'replica-role');
    await waitFor('ddl-refused alert', async () => alertedStatements().some((t) => /ADD COLUMN c int/.test(t)), 30_000, 200);
    assert.match(refusedAlerts()[0]!.message, /1 DDL statement not replicated/);

    // Pause and resume: a new stream, counting from zero itself; status keeps the task's figures.
    await temporal.workflow.getHandle(MAIN).signal(pauseSignal);
    await statusWhere('paused', (x) => x.phase === 'paused');
    await temporal.workflow.getHandle(MAIN).signal(resumeSignal);
    await cs.src.query(`INSERT INTO ev.t VALUES (12, 'after resume')`);
    s = await statusWhere('12 rows after resume', (x) => x.phase === 'incremental' && x.incremental?.rows === 12);
    assert.equal(s.incremental!.ddl!.refusedBy['replica-role'], 1, 'the refusal is still counted');
    assert.equal(s.incremental!.ddl!.refusals!.length, 1, 'and still listed');
    assert.ok(s.incremental!.ignoredColumns!.includes('ev.t.c'));

    // A transaction the destination refuses: the stream retries it several times; it counts once when applied.
    await cs.dst.query('ALTER TABLE ev.t ADD CONSTRAINT not_13 CHECK (id <> 13)');
    await cs.src.query(`INSERT INTO ev.t VALUES (13, 'blocked for a while')`);
    await statusWhere('retrying', (x) => !!x.retrying, 30_000);
    await new Promise((r) => setTimeout(r, 8_000)); // a few attempts
    await cs.dst.query('ALTER TABLE ev.t DROP CONSTRAINT not_13');
    await waitFor('row 13', async () => (await rowsIn()) === 13, 60_000, 250);
    s = await statusWhere('13 rows', (x) => x.incremental?.rows === 13 && !x.retrying);
    assert.equal(s.incremental!.ddl!.refusedBy['replica-role'], 1);

    // Two refusals in a row: coalesced into the next alert (at most one per 5 s), each listed once.
    const before = refusedAlerts().length;
    await refuse('d');
    await refuse('e');
    s = await statusWhere('three refusals', (x) => x.incremental?.ddl?.refusedBy['replica-role'] === 3);
    assert.deepEqual(s.incremental!.ddl!.refusals!.map((r) => r.statement.match(/ADD COLUMN (\w)/)![1]), ['c', 'd', 'e']);
    await waitFor('d and e alerted', async () => ['d', 'e'].every((c) => alertedStatements().some((t) => t.includes(`ADD COLUMN ${c} int`))), 30_000, 200);
    assert.ok(refusedAlerts().length - before <= 2, `${refusedAlerts().length - before} alerts for two refusals`);
    const times = refusedAlerts().map((a) => Date.parse(a.at));
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 4_000, `alerts ${times[i]! - times[i - 1]!} ms apart`);

    // Continue-as-new (signals are history events: enough of them pass the 200-event threshold).
    const firstRun = (await temporal.workflow.getHandle(MAIN).describe()).runId;
    for (let i = 0; i < 80; i++) await temporal.workflow.getHandle(MAIN).signal(throttleSignal, { incremental: { rps: 40_000 + i } });
    await waitFor('a new run', async () => (await temporal.workflow.getHandle(MAIN).describe()).runId !== firstRun, 60_000, 250);
    await cs.src.query(`INSERT INTO ev.t VALUES (14, 'new run')`);
    s = await statusWhere('14 rows in the new run', (x) => (x.continuedRuns ?? 0) >= 1 && x.incremental?.rows === 14);
    assert.equal(s.incremental!.ddl!.refusedBy['replica-role'], 3);
    assert.equal(s.incremental!.ddl!.refusals!.length, 3);
    assert.ok(s.incremental!.ignoredColumns!.includes('ev.t.c'));
    for (const c of ['c', 'd', 'e']) assert.equal(alertedStatements().filter((t) => t.includes(`ADD COLUMN ${c} int`)).length, 1, `${c} alerted once`);
    const printed = pgDts(['status', MAIN]);
    assert.match(printed.stdout, /DDL: \d+ replicated, 3 not replicated \(replica-role 3\)/);
  });

  it('lag grows on the source\'s clock while a statement fails and while paused, and the lag alert fires; a pause reports the WAL it holds', async () => {
    const lagAlerts = () => alerts.filter((a) => a.name === MAIN && a.kind === 'lag');
    // Stuck: the destination refuses the transaction; every retry fails on it.
    await cs.dst.query('ALTER TABLE ev.t ADD CONSTRAINT not_100 CHECK (id <> 100)');
    await cs.src.query(`INSERT INTO ev.t VALUES (100, 'stuck')`);
    const stuckAt = Date.now();
    const first = await statusWhere('lag over 4 s while stuck', (x) => (x.incremental?.lagSeconds ?? 0) > 4, 60_000);
    const later = await statusWhere('lag growing', (x) => (x.incremental?.lagSeconds ?? 0) >= first.incremental!.lagSeconds + 5, 60_000);
    const elapsed = (Date.now() - stuckAt) / 1000;
    assert.ok(later.incremental!.lagSeconds <= elapsed + 2, `lag ${later.incremental!.lagSeconds} s after ${elapsed} s stuck`);
    const firing = await waitFor('lag alert while stuck', async () => lagAlerts().find((a) => a.state === 'firing'), 60_000, 250);
    assert.ok((firing.value ?? 0) > 3, JSON.stringify(firing));
    await cs.dst.query('ALTER TABLE ev.t DROP CONSTRAINT not_100');
    await waitFor('lag alert resolved', async () => lagAlerts().some((a) => a.state === 'resolved'), 60_000, 250);
    await statusWhere('lag back under 3 s', (x) => (x.incremental?.lagSeconds ?? 99) < 3 && x.phase === 'incremental');

    // Paused: nothing is applied; the source goes on writing (~6 MB of WAL).
    await temporal.workflow.getHandle(MAIN).signal(pauseSignal);
    await statusWhere('paused', (x) => x.phase === 'paused');
    const pausedAt = new Date().toISOString();
    await cs.src.query(`INSERT INTO ev.t SELECT g, repeat(md5(g::text), 32) FROM generate_series(1000, 6000) g`);
    const held = await statusWhere('retained WAL of the rows written while paused', (x) =>
      x.incremental!.reportedAt > pausedAt && (x.incremental!.retainedWalBytes ?? 0) > 5 * 1024 * 1024, 30_000);
    const p1 = await statusWhere('lag while paused', (x) => x.incremental!.reportedAt > pausedAt && x.incremental!.lagSeconds > 2, 30_000);
    const p2 = await statusWhere('lag growing while paused', (x) => x.incremental!.lagSeconds >= p1.incremental!.lagSeconds + 8, 40_000);
    assert.equal(p2.phase, 'paused');
    const printed = pgDts(['status', MAIN]);
    assert.match(printed.stdout, /slot retains [\d.]+ MiB of WAL/, printed.stdout);
    assert.ok((held.incremental!.retainedWalBytes ?? 0) > 5 * 1024 * 1024);
    const pausedFiring = await waitFor('lag alert while paused', async () => lagAlerts().find((a) => a.state === 'firing' && /while the task is paused/.test(a.message)), 60_000, 250);
    assert.ok((pausedFiring.value ?? 0) > 8, JSON.stringify(pausedFiring));
    await temporal.workflow.getHandle(MAIN).signal(resumeSignal);
    await waitFor('all rows', async () => (await rowsIn()) === 14 + 1 + 5001, 120_000, 500);
    await waitFor('lag alert resolved after resume', async () => lagAlerts().at(-1)?.state === 'resolved' && lagAlerts().at(-1)!.at > pausedFiring.at, 60_000, 250);
    // Fired and resolved in turn: a stream attempt ending never leaves the next one unaware of a firing alert.
    const states = lagAlerts().map((a) => a.state);
    assert.ok(states.every((st, i) => st === (i % 2 ? 'resolved' : 'firing')), states.join(','));
  });

});
