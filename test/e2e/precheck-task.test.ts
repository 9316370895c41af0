// A task whose precheck blocks, started through Temporal the way users start one: it fails with
// PrecheckFailed (the report in the failure details) and leaves both sides as they were — no slot, no
// publication, no replica identity changed on the source, no schema on the destination.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { PrecheckReport } from '../../src/precheck/types';
import { WORKFLOW_TYPE } from '../../workflows/messages';
import { openSampleFixture, type SampleFixture } from '../harness/sample-fixture';
import { temporalClient } from '../harness/temporal';

const TASK = 'precheck-blocked';

describe('a task with a blocked precheck', () => {
  let fx: SampleFixture;
  let temporal: Client;
  const identities = async () =>
    (await fx.src.query(`SELECT c.relname, c.relreplident::text AS identity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = 'shop' AND c.relkind = 'r' ORDER BY 1`)).rows;

  before(async () => {
    fx = await openSampleFixture(50);
    temporal = await temporalClient();
    await fx.src.query(`CREATE TABLE shop.keyless (note text); CREATE TABLE shop.by_expr (code text NOT NULL);
      CREATE UNIQUE INDEX ON shop.by_expr (lower(code))`);
  });
  after(() => fx?.close());

  it('fails with PrecheckFailed naming the tables and the fix, and creates nothing', async () => {
    const identitiesBefore = await identities();
    const handle = await temporal.workflow.start(WORKFLOW_TYPE, { taskQueue: 'pg-dts', workflowId: TASK, args: [fx.spec(TASK)] });
    const err = await handle.result().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof ActivityFailure, String(err.cause));
    const failure = err.cause.cause;
    assert.ok(failure instanceof ApplicationFailure, String(failure));
    assert.equal(failure.type, 'PrecheckFailed');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /FAIL primary-key: no primary key or non-null unique index: shop\.by_expr, shop\.keyless/);
    assert.match(failure.message, /fix: add a primary key/);
    const report = failure.details?.[0] as PrecheckReport;
    assert.equal(report.blocked, true);
    assert.deepEqual(report.results.filter((r) => !r.passed).map((r) => r.id), ['primary-key']);
    assert.ok(report.results.some((r) => r.id === 'replica-identity' && r.passed), 'the full report travels with the failure');

    const history = await handle.fetchHistory();
    const activities = history.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    // Before the precheck the task only asks Temporal whether its search attributes are registered (no database touched).
    assert.deepEqual(activities, ['searchAttributesRegistered', 'precheck'], 'nothing ran after the precheck, not even a release');

    assert.deepEqual((await fx.src.query('SELECT slot_name FROM pg_replication_slots')).rows, []);
    assert.deepEqual((await fx.src.query('SELECT pubname FROM pg_publication')).rows, []);
    assert.deepEqual(await identities(), identitiesBefore, 'replica identity unchanged');
    assert.ok(identitiesBefore.every((r) => r.identity === 'd'));
    assert.deepEqual((await fx.dst.query(`SELECT nspname FROM pg_namespace WHERE nspname IN ('shop', '_pg_dts')`)).rows, []);
  });
});
