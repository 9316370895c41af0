// The operator's view through the pg-dts CLI against a real dev server and a real incremental-only task:
// `pg-dts list` finds the task, `pg-dts status --watch` redraws with the lag chart and exits cleanly on
// Ctrl-C, and the dev server the harness starts has the task's search attributes registered.
import assert from 'node:assert/strict';
import { clusterSpec } from '../harness/task-spec-file';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import { endpointLabel } from '../../src/spec/validate';
import { releaseSignal, statusQuery } from '../../workflows/messages';
import { taskSearchAttributes } from '../../workflows/search-attributes';
import type { SearchAttributePair } from '@temporalio/common';
import { releaseAll, onCleanup } from '../harness/cleanup';
import { startClusterPair, TEST_PASSWORD, type ClusterPair } from '../harness/clusters';
import { waitFor } from '../harness/checksum';
import { pgDts, startWorker, temporalAddress, temporalCli, temporalClient } from '../harness/temporal';

const ROOT = join(__dirname, '..', '..');
const ENV = { PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD };
const TASK = 'cli-watched';

describe('pg-dts list and status --watch', () => {
  let pg: ClusterPair;
  let src: PgClient;
  let temporal: Client;

  before(async () => {
    pg = await startClusterPair();
    src = await pg.source.client();
    await src.query('CREATE SCHEMA watched; CREATE TABLE watched.events (id bigint PRIMARY KEY, note text)');
    temporal = await temporalClient();
    startWorker(ENV);
    await temporal.workflow.start('syncTask', {
      taskQueue: 'pg-dts',
      workflowId: TASK,
      args: [clusterSpec(pg, TASK, { objects: [{ schema: 'watched' }], syncTypes: ['schema', 'incremental'] })],
    });
    // Streaming, with a first lag report: the chart has a sample to draw from the first frame on.
    await waitFor('task streaming with a lag report', async () => {
      const s = await temporal.workflow.getHandle(TASK).query(statusQuery);
      return s.phase === 'incremental' && s.incremental !== null;
    }, 120_000, 200);
  });
  after(async () => {
    await src?.end();
    await releaseAll();
  });

  it('a task answers status from its first moment (handlers registered before it waits on anything)', async () => {
    const handle = await temporal.workflow.start('syncTask', {
      taskQueue: 'pg-dts', workflowId: 'cli-early',
      args: [clusterSpec(pg, 'cli-early', { objects: [{ schema: 'watched' }], syncTypes: ['schema'] })],
    });
    try {
      const first = await handle.query(statusQuery); // the first workflow task is still being answered
      assert.equal(first.name, 'cli-early');
      assert.equal(first.phase, 'precheck');
    } finally {
      await handle.terminate('test done');
    }
  });

  it('pg-dts list shows the running task with its phase, source and destination (no credentials)', async () => {
    const r = pgDts(['list']);
    assert.equal(r.status, 0, r.stderr);
    const [header, ...rows] = r.stdout.trim().split('\n');
    assert.match(header, /^TASK +STATUS +PHASE +STARTED +SOURCE +DESTINATION +TAGS$/);
    const row = rows.find((l) => l.startsWith(`${TASK} `));
    assert.ok(row, `${TASK} listed:\n${r.stdout}`);
    const cells = row.split(/ {2,}/);
    assert.equal(cells[1], 'running');
    assert.equal(cells[2], 'incremental');
    assert.match(cells[3], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(cells[4], endpointLabel(pg.source.url('postgres', SECURE_USER)));
    assert.equal(cells[5], endpointLabel(pg.destination.url('postgres', SECURE_USER)));
    assert.ok(!r.stdout.includes(SECURE_USER) && !r.stdout.includes(TEST_PASSWORD), 'no user names or passwords in the list');
  });

  it('pg-dts status --watch redraws at least twice with the lag chart and exits 0 on Ctrl-C', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'pg-dts.js'), 'status', TASK, '--watch'], {
      env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onCleanup(() => (child.exitCode === null && child.signalCode === null ? child.kill('SIGKILL') : undefined));
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const started = Date.now();
    const frames = () => out.split(`pg-dts status ${TASK} --watch `).length - 1;
    // ~5 s of watching (2 s per frame); a slow machine gets up to a minute to start the CLI.
    await waitFor('two frames', async () => frames() >= 2 && Date.now() - started >= 5000, 60_000, 100);
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
    assert.equal(code, 0, `exit on Ctrl-C; stderr: ${err}`);
    assert.ok(frames() >= 2, `at least two frames:\n${out}`);
    const last = out.slice(out.lastIndexOf(`pg-dts status ${TASK} --watch `));
    assert.match(last, /phase: incremental/);
    assert.match(last, /lag \(seconds\), last 10 min: now \d+(\.\d)? s, max \d+(\.\d)? s\n/);
    assert.match(last, /\n {7} *\d+(\.\d)? [┼┤]/, `a y axis with lag labels:\n${last}`);
    assert.match(last, /\d\d:\d\d:\d\d UTC\n/, 'the x axis has times');
    assert.ok(!out.includes('\x1b[2J'), 'no screen clearing when the output is not a terminal');
    console.log(`# watch: ${frames()} frames in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('the dev server has PgDtsPhase/PgDtsSource/PgDtsDestination registered and `PgDtsPhase="incremental"` finds a task', async () => {
    const list = temporalCli(['operator', 'search-attribute', 'list']);
    assert.equal(list.status, 0, list.stderr);
    for (const key of ['PgDtsPhase', 'PgDtsSource', 'PgDtsDestination']) assert.match(list.stdout, new RegExp(`${key}\\s+Keyword`));
    // A probe workflow (its own type, so `pg-dts list` ignores it) on a queue no worker polls carries the attributes taskSearchAttributes() gives:
    // the server accepts their keys, types and values, and the README's query finds it.
    const probe = 'search-attribute-probe';
    const pairs = taskSearchAttributes({ phase: 'incremental', source: 'probe-src:5432/app', destination: 'probe-dst:5432/app' });
    const handle = await temporal.workflow.start('searchAttributeProbe', {
      taskQueue: 'pg-dts-probe-no-worker', workflowId: probe, args: [{}], typedSearchAttributes: pairs as SearchAttributePair[],
    });
    onCleanup(() => handle.terminate('test over').catch(() => undefined));
    const found: string = await waitFor('the query finds the probe', async () => {
      const r = temporalCli(['workflow', 'list', '--query', 'PgDtsPhase="incremental" AND PgDtsSource="probe-src:5432/app"']);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.includes(probe) ? r.stdout : undefined;
    }, 30_000, 500);
    assert.match(found, /search-attribute-probe/);
    // The task itself upserts them as it moves: the same query by phase finds it.
    await waitFor('the query finds the task by phase', async () => {
      const r = temporalCli(['workflow', 'list', '--query', 'WorkflowType="syncTask" AND PgDtsPhase="incremental"']);
      return r.status === 0 && r.stdout.includes(TASK);
    }, 30_000, 500);
  });

  it('after release, pg-dts list shows the task as completed; its history tells the story (README "Auditing a task")', async () => {
    const throttle = pgDts(['throttle', TASK, '--incremental-rps', '500']);
    assert.equal(throttle.status, 0, throttle.stderr);
    await temporal.workflow.getHandle(TASK).signal(releaseSignal);
    await temporal.workflow.getHandle(TASK).result();
    const row = await waitFor('list shows completed', async () => {
      const r = pgDts(['list']);
      return r.stdout.split('\n').find((l) => l.startsWith(`${TASK} `) && l.split(/ {2,}/)[1] === 'completed');
    }, 30_000, 500);
    assert.ok(row);

    const show = temporalCli(['workflow', 'show', '--workflow-id', TASK, '--output', 'json']);
    assert.equal(show.status, 0, show.stderr);
    writeFileSync(join(tmpdir(), 'pg-dts-cli-status-list-history.json'), show.stdout); // for the README's examples
    const events: { eventType: string; [k: string]: unknown }[] = JSON.parse(show.stdout).events;
    const type = (e: { eventType: string }) => e.eventType.replace(/^EVENT_TYPE_/, '');
    const activities = events.filter((e) => type(e) === 'ACTIVITY_TASK_SCHEDULED')
      .map((e) => (e.activityTaskScheduledEventAttributes as { activityType: { name: string } }).activityType.name);
    for (const name of ['precheck', 'createSchema', 'finishSchema', 'incrementalSync', 'releaseTask']) assert.ok(activities.includes(name), `${name} in ${activities}`);
    const signals = events.filter((e) => type(e) === 'WORKFLOW_EXECUTION_SIGNALED')
      .map((e) => (e.workflowExecutionSignaledEventAttributes as { signalName: string }).signalName);
    assert.ok(signals.includes('throttle') && signals.includes('release'), `signals: ${[...new Set(signals)]}`);
    // Payloads are base64 in --output json: decode every one to see what the history holds.
    const decoded: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.data === 'string' && o.metadata) decoded.push(Buffer.from(o.data, 'base64').toString('utf8'));
        Object.values(o).forEach(walk);
      }
    };
    walk(events);
    assert.ok(decoded.some((d) => d.includes('"passwordEnv":"PG_DTS_PW_SRC"')), 'the start event holds the spec with the password variable name');
    assert.ok(decoded.includes('{"incremental":{"rps":500}}'), 'the throttle signal holds its payload');
    assert.ok(!decoded.some((d) => d.includes(TEST_PASSWORD)) && !show.stdout.includes(TEST_PASSWORD), 'never the password');
    const text = temporalCli(['workflow', 'show', '--workflow-id', TASK]);
    writeFileSync(join(tmpdir(), 'pg-dts-cli-status-list-history.txt'), text.stdout);
    assert.equal(type(events[0]), 'WORKFLOW_EXECUTION_STARTED');
    assert.equal(type(events[events.length - 1]), 'WORKFLOW_EXECUTION_COMPLETED');
  });
});
