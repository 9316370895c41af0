// Metrics and alerts from a real worker process and a real task: the worker's /metrics endpoint carries
// the task's lag, applied rows and retained WAL; a throttled stream builds lag and a local webhook
// receives the lag alert (firing, then resolved once the throttle is lifted) and the retained-WAL alert;
// paused, a task still watches its slot (status, retained-WAL alert), and which alerts fire is kept by
// the workflow: the stream after a resume resolves the alert the watch fired and does not fire it again.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import { freePort } from '../../src/util/ports';
import { pauseSignal, resumeSignal, statusQuery, throttleSignal } from '../../workflows/messages';
import { releaseAll } from '../harness/cleanup';
import { clusterSpec } from '../harness/task-spec-file';
import { startClusterPair, TEST_PASSWORD, type ClusterPair } from '../harness/clusters';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { startWorker, temporalClient } from '../harness/temporal';

const ID = 'metrics_task'; // already a valid task id, so the metrics label is the workflow id
const ROWS = 1500;

interface Alert { task: string; name: string; kind: string; state: string; value: number; threshold: number; at: string; message: string }

/** The value of `metric{...task="<ID>"...}` in a Prometheus text exposition, or undefined. */
function sample(text: string, metric: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(`task="${ID}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('metrics and alerts of a running task', () => {
  let pg: ClusterPair;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;
  let receiver: Server;
  let metricsUrl: string;
  const alerts: Alert[] = [];
  const status = () => temporal.workflow.getHandle(ID).query(statusQuery);
  const alertOf = (kind: string, state: string) => alerts.find((a) => a.kind === kind && a.state === state);

  before(async () => {
    pg = await startClusterPair();
    src = await pg.source.client();
    dst = await pg.destination.client();
    await src.query('CREATE SCHEMA metered; CREATE TABLE metered.events (id bigint PRIMARY KEY, note text)');
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        alerts.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    temporal = await temporalClient();
    // The receiver is on this host: the worker's webhook allow-list must name it (loopback is refused by default).
    startWorker({ PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD, PG_DTS_METRICS_PORT: String(port), PG_DTS_WEBHOOK_ALLOW: '127.0.0.1' }, 'pg-dts-metrics');
  });
  after(async () => {
    await src?.end();
    await dst?.end();
    await releaseAll();
    receiver?.close();
  });

  it('serves lag, rows and retained WAL for the task, and alerts on lag and retained WAL', async () => {
    const webhook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/alerts`;
    await temporal.workflow.start('syncTask', {
      taskQueue: 'pg-dts-metrics', workflowId: ID,
      args: [clusterSpec(pg, 'metered', {
        objects: [{ schema: 'metered' }],
        syncTypes: ['schema', 'incremental'],
        throttle: { incremental: { rps: 100 } }, // 1 500 rows take ~15 s to apply: lag builds
        alerts: { webhook: { url: webhook }, lag: { seconds: 2, forSeconds: 3 }, retainedWalBytes: 1 },
      })],
    });
    await waitFor('streaming', async () => (await status()).phase === 'incremental', 120_000, 100);
    const slot = (await status()).slot;
    await waitFor('slot active', async () =>
      (await src.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot])).rowCount === 1, 60_000, 100);

    await src.query(`DO $$ BEGIN FOR t IN 0..${ROWS / 10 - 1} LOOP
      INSERT INTO metered.events SELECT g, 'e' || g FROM generate_series(t * 10 + 1, t * 10 + 10) g; COMMIT; END LOOP; END $$`);

    const lagFiring = await waitFor('lag alert firing', async () => alertOf('lag', 'firing'), 60_000, 200);
    assert.equal(lagFiring.task, ID);
    assert.equal(lagFiring.name, 'metered');
    assert.equal(lagFiring.threshold, 2);
    assert.ok(lagFiring.value > 2, `lag value ${lagFiring.value}`);
    assert.match(lagFiring.message, /replication lag .* above 2 s/);
    const wal = await waitFor('retained WAL alert firing', async () => alertOf('retained-wal', 'firing'), 30_000, 200);
    assert.ok(wal.value > 1 && wal.threshold === 1, JSON.stringify(wal));

    // While lagging, the endpoint shows the lag the alert saw.
    const lagging = await (await fetch(metricsUrl)).text();
    assert.ok((sample(lagging, 'pg_dts_replication_lag_seconds') ?? 0) > 0, 'lag is exported while lagging');

    await temporal.workflow.getHandle(ID).signal(throttleSignal, {}); // lift the throttle: the lag recovers
    await waitForConvergence(src, dst, { 'metered.events': 'id' }, 60_000);
    const resolved = await waitFor('lag alert resolved', async () => alertOf('lag', 'resolved'), 60_000, 200);
    assert.ok(resolved.value <= 2, `resolved at ${resolved.value} s`);
    assert.equal(alerts.filter((a) => a.kind === 'lag' && a.state === 'firing').length, 1, 'the lag alert fired once');
    assert.ok(!JSON.stringify(alerts).includes(TEST_PASSWORD) && !JSON.stringify(alerts).includes('postgresql://'), 'no endpoint or secret in alerts');

    // Metrics after a report that saw every row (reports every 3 s).
    const text = await waitFor('metrics with every row applied', async () => {
      const t = await (await fetch(metricsUrl)).text();
      return (sample(t, 'pg_dts_incremental_rows_applied_total') ?? 0) >= ROWS ? t : undefined;
    }, 30_000, 500);
    const lag = sample(text, 'pg_dts_replication_lag_seconds');
    const retained = sample(text, 'pg_dts_retained_wal_bytes');
    console.log(`# metrics: rows=${sample(text, 'pg_dts_incremental_rows_applied_total')} lag=${lag} retainedWal=${retained} bytes=${sample(text, 'pg_dts_incremental_bytes_applied_total')}`);
    assert.ok(lag !== undefined && lag >= 0 && lag < 10, `lag ${lag}`);
    assert.ok(retained !== undefined && retained > 0 && retained < 1024 ** 3, `retained WAL ${retained}`);
    assert.ok((sample(text, 'pg_dts_incremental_bytes_applied_total') ?? 0) > ROWS, 'bytes applied are counted');
    assert.ok(sample(text, 'pg_dts_incremental_rows_per_second') !== undefined, 'the apply rate is exported');
    assert.match(text, /^pg_dts_process_cpu_user_seconds_total /m, 'default process metrics are served');
    assert.ok(!text.includes('postgresql://') && !text.includes(SECURE_USER + '@'), 'no endpoint in metrics');
  });

  it('watches the slot while paused, and a restarted stream neither fires an alert again nor forgets to resolve it', async () => {
    // A second task on the same clusters, with a threshold its running stream stays under.
    const PAUSED_ID = 'paused_task';
    const threshold = 32 * 1024 * 1024;
    await src.query('CREATE SCHEMA held; CREATE TABLE held.rows (id bigint PRIMARY KEY, note text)');
    const webhook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/alerts`;
    const handle = await temporal.workflow.start('syncTask', {
      taskQueue: 'pg-dts-metrics', workflowId: PAUSED_ID,
      args: [clusterSpec(pg, 'held', {
        objects: [{ schema: 'held' }],
        syncTypes: ['schema', 'incremental'],
        alerts: { webhook: { url: webhook }, retainedWalBytes: threshold },
      })],
    });
    const heldStatus = () => handle.query(statusQuery);
    const heldAlerts = () => alerts.filter((a) => a.task === PAUSED_ID && a.kind === 'retained-wal');
    await waitFor('streaming', async () => (await heldStatus()).phase === 'incremental', 120_000, 100);
    await handle.signal(pauseSignal);
    await waitFor('paused', async () => (await heldStatus()).phase === 'paused', 60_000, 200);
    const pausedAt = new Date().toISOString();

    // ~48 MB of changes the paused task holds back: its slot retains their WAL.
    await src.query(`INSERT INTO held.rows SELECT g, repeat(md5(g::text), 32) FROM generate_series(1, 40000) g`);
    const firing = await waitFor('retained WAL alert while paused', async () => heldAlerts().find((a) => a.state === 'firing'), 30_000, 200);
    assert.match(firing.message, /while the task is paused/);
    assert.ok(firing.value > threshold, JSON.stringify(firing));
    // The watch reports to status when the retained WAL moved by 16 MB, not only once a minute.
    const s = await waitFor('retained WAL in status', async () => {
      const now = await heldStatus();
      return (now.incremental?.retainedWalBytes ?? 0) > threshold ? now : undefined;
    }, 15_000, 200);
    assert.equal(s.phase, 'paused');
    assert.ok(s.incremental!.reportedAt >= pausedAt, `reported during the pause: ${s.incremental!.reportedAt} (paused ${pausedAt})`);
    assert.deepEqual(s.firingAlerts, ['retained-wal'], 'the workflow knows the alert is firing');
    assert.equal((await dst.query('SELECT count(*)::int AS n FROM held.rows')).rows[0].n, 0, 'nothing applied while paused');

    // Resumed, a new stream starts with the alert firing: it applies the backlog, the slot lets go of
    // the WAL, and the stream resolves the alert the watch fired — without firing it a second time.
    await handle.signal(resumeSignal);
    await waitForConvergence(src, dst, { 'held.rows': 'id' }, 120_000);
    const resolved = await waitFor('retained WAL alert resolved by the stream', async () => heldAlerts().find((a) => a.state === 'resolved'), 120_000, 500);
    assert.ok(resolved.value <= threshold && !/paused/.test(resolved.message), JSON.stringify(resolved));
    assert.deepEqual(heldAlerts().map((a) => a.state), ['firing', 'resolved'], 'fired once, resolved once');
    assert.deepEqual((await heldStatus()).firingAlerts, []);
  });
});
