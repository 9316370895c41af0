// Nothing lost, nothing duplicated: the worker is SIGKILLed at random moments while incremental sync
// applies a steady write load, and restarted. Afterwards the destination equals the source, row for row.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { SAMPLE_TABLES, startWriteLoad } from '../../src/demo/sample';
import { statusQuery } from '../../workflows/messages';
import { originName, taskIdFromWorkflowId } from '../../src/spec/task-id';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { openSampleFixture, WORKER_ENV, type SampleFixture } from '../harness/sample-fixture';
import { pgDts, startWorker, temporalClient, type WorkerProcess } from '../harness/temporal';

const TASK = 'fault-worker-kill';
const KILLS = 3;

describe('worker killed with SIGKILL during incremental sync', () => {
  let fx: SampleFixture;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;
  let worker: WorkerProcess;

  before(async () => {
    fx = await openSampleFixture(1000);
    ({ src, dst, worker } = fx);
    temporal = await temporalClient();
  });
  after(() => fx?.close());

  it(`converges to source = destination after ${KILLS} kills under load`, async () => {
    const spec = join(mkdtempSync(join(tmpdir(), 'pg-dts-kill-')), 'spec.json');
    writeFileSync(spec, JSON.stringify(fx.spec(TASK)));
    assert.equal(pgDts(['start', '--spec', spec]).status, 0);
    const handle = temporal.workflow.getHandle(TASK);
    await waitFor('incremental', async () => (await handle.query(statusQuery)).phase === 'incremental', 120_000);

    const load = startWriteLoad(src);
    for (let i = 0; i < KILLS; i++) {
      // Let the new worker pick the stream up and apply for a while, then kill it at a random moment.
      await waitFor('stream applying', async () => {
        const s = await handle.query(statusQuery);
        return s.incremental !== null && Date.parse(s.incremental.reportedAt) > Date.now() - 5000;
      }, 90_000, 500);
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 2500));
      await worker.kill('SIGKILL');
      worker = startWorker(WORKER_ENV);
    }
    await load.stop();
    assert.ok(load.writes() > 50, `load wrote ${load.writes()} transactions`);
    try {
      await waitForConvergence(src, dst, SAMPLE_TABLES, 180_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nstatus: ${JSON.stringify(await handle.query(statusQuery))}`);
    }

    const origin = await dst.query(`SELECT pg_replication_origin_progress($1, true)::text AS lsn`, [originName(taskIdFromWorkflowId(TASK))]);
    assert.notEqual(origin.rows[0].lsn, null, 'the destination recorded its progress in the replication origin');
    await handle.signal('release');
    await handle.result();
  });
});
