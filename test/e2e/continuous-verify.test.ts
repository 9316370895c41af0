// Continuous verification (issue 16, item 5) end to end through Temporal on real clusters: a task whose spec
// says `verify: { every: "10s" }` verifies itself while it streams under writes (a verifyTask child workflow
// each time, with a deterministic id); the runs are clean and alert nothing; a difference injected on the
// destination (replica role, so the stream does not repair it) is reported by the next run, shown by
// `pg-dts status` and alerted (the verification's id, the table count, no row value); once repaired, a clean
// run resolves the alert; a verification that fails is recorded and the next one runs; no run starts while the task is paused; a release cancels the verification running.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { pauseSignal, resumeSignal, statusQuery, throttleSignal } from '../../workflows/messages';
import type { TaskStatus } from '../../workflows/status';
import type { VerifyReport } from '../../src/verify/types';
import { waitFor } from '../harness/checksum';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { WORKER_ENV } from '../harness/sample-fixture';
import { startStreamingTask } from '../harness/streaming-task';
import { pgDts, startWorker, temporalClient } from '../harness/temporal';
import { startWebhookReceiver, type ReceivedAlert } from '../harness/webhook-receiver';
import { startWriteLoop, type WriteLoop } from '../harness/write-loop';

const TASK = 'continuous-verify';
const INJECTED = 'injected-by-test-7781';

describe('continuous verification', () => {
  let fx: ClusterSessions;
  let temporal: Client;
  let alerts: ReceivedAlert[];
  let loop: WriteLoop | undefined;
  const status = (): Promise<TaskStatus> => temporal.workflow.getHandle(TASK).query(statusQuery);
  const verificationAlerts = (): ReceivedAlert[] => alerts.filter((a) => a.kind === 'verify-difference');
  /** The first verification that started after `runs` runs and has finished. */
  const finishedAfter = (runs: number, timeoutMs = 40_000) => waitFor(`a verification after run ${runs} finished`, async () => {
    const v = (await status()).verification;
    return v?.last && Number(v.last.workflowId.split('-').pop()) > runs ? v : undefined;
  }, timeoutMs, 250);

  before(async () => {
    fx = await openClusterSessions();
    await fx.src.query(`
      CREATE SCHEMA cv;
      CREATE TABLE cv.items (id int PRIMARY KEY, body text NOT NULL, n int NOT NULL DEFAULT 0);
      INSERT INTO cv.items SELECT g, 'item ' || g, 0 FROM generate_series(1, 3000) g;
      ANALYZE cv.items;`);
    const receiver = await startWebhookReceiver();
    alerts = receiver.alerts;
    startWorker({ ...WORKER_ENV, PG_DTS_WEBHOOK_ALLOW: '127.0.0.1' });
    temporal = await temporalClient();
    await startStreamingTask(temporal, fx, TASK, 'pg-dts', {
      objects: [{ schema: 'cv' }],
      syncTypes: ['schema', 'full', 'incremental'],
      verify: { every: '10s' },
      alerts: { webhook: { url: receiver.url }, onFailure: true },
    });
    // Writes on ids 1..50 while every verification runs: never on the row the difference goes into.
    loop = startWriteLoop(async (n) => {
      await fx.src.query('UPDATE cv.items SET n = n + 1, body = $1 WHERE id = $2', [`loop ${n}`, (n % 50) + 1]);
    }, 20);
  });
  after(async () => {
    await loop?.stop();
    await fx?.close();
  });

  it('verifies the streaming task every 10 s: clean runs, no alert', async () => {
    const first = await finishedAfter(0);
    assert.equal(first.every, '10s');
    assert.equal(first.mode, 'checksum');
    assert.equal(first.last!.state, 'clean', JSON.stringify(first));
    assert.equal(first.last!.differences, 0);
    assert.match(first.last!.workflowId, new RegExp(`^${TASK}-verify-\\d+$`));
    assert.ok(first.nextAt, 'the next run is scheduled');
    // The verification is a verifyTask workflow of its own: its result is the report.
    const report = await temporal.workflow.getHandle(first.last!.workflowId).result() as VerifyReport;
    assert.equal(report.state, 'done');
    assert.equal(report.streaming, true);
    assert.equal(report.tables[0]!.sourceRows, 3000);
    assert.equal(report.differences, 0, JSON.stringify(report));
    const shown = pgDts(['status', TASK]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /verify every 10s \(checksum\): .*clean/);
    assert.deepEqual(verificationAlerts(), []);
  });

  it('reports a difference injected on the destination, in status and as an alert without row values', async () => {
    const before = (await status()).verification!;
    await fx.dst.query(`BEGIN; SET LOCAL session_replication_role = replica; UPDATE cv.items SET body = '${INJECTED}' WHERE id = 2500; COMMIT;`);
    const found = await waitFor('a verification reporting the difference', async () => {
      const v = (await status()).verification;
      return v?.last && v.last.state === 'differences' ? v : undefined;
    }, 45_000, 250);
    assert.ok(found.runs > before.runs);
    assert.equal(found.last!.differingTables, 1, JSON.stringify(found));
    assert.ok(found.last!.differences > 0);
    assert.deepEqual(found.last!.tables, ['cv.items']);
    assert.deepEqual(found.lastDifference, found.last);
    const alert = await waitFor('the verify-difference alert', async () => verificationAlerts().find((a) => a.state === 'firing'), 15_000, 100);
    assert.equal(alert.task, (await status()).taskId);
    assert.equal(alert.name, TASK);
    assert.equal(alert.value, 1, 'the number of differing tables');
    assert.ok(alert.message.includes(found.last!.workflowId), alert.message);
    assert.match(alert.message, /cv\.items/);
    assert.ok(!JSON.stringify(alerts).includes(INJECTED), 'no row value in an alert');
    assert.ok(!JSON.stringify(alerts).includes('postgresql://'), 'no endpoint in an alert');
    const shown = pgDts(['status', TASK]);
    assert.match(shown.stdout, /verify every 10s \(checksum\): .*DIFFERENCES in 1 table/);
    assert.ok(shown.stdout.includes(found.last!.workflowId), shown.stdout);
    assert.equal((await status()).phase, 'incremental', 'a difference does not stop the task');
  });

  it('resolves the alert at the next clean run, once repaired', async () => {
    await fx.dst.query("BEGIN; SET LOCAL session_replication_role = replica; UPDATE cv.items SET body = 'item 2500' WHERE id = 2500; COMMIT;");
    const resolved = await waitFor('the alert resolved', async () => verificationAlerts().find((a) => a.state === 'resolved'), 45_000, 250);
    assert.equal(resolved.value, 0);
    assert.equal((await status()).verification!.last!.state, 'clean');
    assert.equal(verificationAlerts().filter((a) => a.state === 'firing').length, 1, 'fired once');
  });

  it('records a verification that fails, and goes on: the task streams and the next run starts', async () => {
    const running = await waitFor('a verification running', async () => (await status()).verification?.running ?? undefined, 30_000, 50);
    await temporal.workflow.getHandle(running.workflowId).terminate('test: a verification that fails');
    const failed = await waitFor('the failure recorded', async () => {
      const v = (await status()).verification!;
      return v.last?.workflowId === running.workflowId ? v : undefined;
    }, 30_000, 100);
    assert.equal(failed.last!.state, 'failed', JSON.stringify(failed.last));
    assert.match(failed.last!.error ?? '', /a verification that fails/);
    assert.equal((await status()).phase, 'incremental');
    assert.match(pgDts(['status', TASK]).stdout, new RegExp(`last ${running.workflowId} FAILED: `));
    const next = await waitFor('the next run', async () => {
      const v = (await status()).verification!;
      return v.last && v.last.workflowId !== running.workflowId ? v : undefined;
    }, 30_000, 100);
    assert.equal(next.last!.state, 'clean');
    assert.ok(!verificationAlerts().some((a) => a.at > failed.last!.startedAt), 'a failed run alerts nothing');
  });

  it('starts no run while the task is paused; the run due meanwhile starts once resumed', async () => {
    // Paused between two runs (one in flight would wait for a stream that does not apply).
    await waitFor('between two runs', async () => {
      const v = (await status()).verification!;
      return !v.running && Date.parse(v.nextAt!) - Date.now() > 6_000;
    }, 30_000, 100);
    await temporal.workflow.getHandle(TASK).signal(pauseSignal);
    await waitFor('paused', async () => (await status()).phase === 'paused', 30_000, 100);
    const paused = (await status()).verification!;
    await new Promise((r) => setTimeout(r, 16_000));
    const later = (await status()).verification!;
    assert.equal(later.runs, paused.runs, 'no verification started while paused');
    assert.equal(later.running, null);
    assert.match(pgDts(['status', TASK]).stdout, /verify every 10s \(checksum\): .*due since .*waiting while the task is paused/);
    await temporal.workflow.getHandle(TASK).signal(resumeSignal);
    const resumed = await waitFor('a run after the resume', async () => {
      const v = (await status()).verification!;
      return v.runs > paused.runs ? v : undefined;
    }, 20_000, 100);
    assert.equal((await status()).phase, 'incremental');
    assert.ok(Date.parse((resumed.running ?? resumed.last)!.startedAt) > Date.parse(paused.nextAt!), 'it started after it was due');
  });

  it('cancels the verification running when the task is released', async () => {
    // Released while a verification runs: the throttle makes a run last long enough to be caught running.
    await temporal.workflow.getHandle(TASK).signal(throttleSignal, { full: { rps: 500 } });
    const running = await waitFor('a verification running', async () => (await status()).verification?.running ?? undefined, 30_000, 100);
    const released = pgDts(['release', TASK]);
    assert.equal(released.status, 0, released.stderr);
    await temporal.workflow.getHandle(TASK).result();
    const s = await status();
    assert.equal(s.verification!.running, null);
    assert.equal(s.verification!.last!.workflowId, running.workflowId);
    assert.equal(s.verification!.last!.state, 'cancelled');
    const child = temporal.workflow.getHandle(running.workflowId);
    const ended = await waitFor('the verification ended', async () => {
      const d = await child.describe();
      return d.status.name === 'RUNNING' ? undefined : d.status.name;
    }, 30_000, 200);
    assert.equal(ended, 'CANCELLED');
  });

  it('replays its own history (verifications, alerts, the cancellation) without a nondeterminism error', async () => {
    const history = await temporal.workflow.getHandle(TASK).fetchHistory();
    assert.ok(history.events!.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length >= 3, 'several verifications in it');
    await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history, TASK);
  });
});
