// syncTypes without "incremental": the task copies schema and data, then completes, creating no slot.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import { WORKFLOW_TYPE } from '../../workflows/messages';
import { SAMPLE_TABLES } from '../../src/demo/sample';
import { checksums } from '../harness/checksum';
import { openSampleFixture, type SampleFixture } from '../harness/sample-fixture';
import { temporalClient } from '../harness/temporal';

describe('a task without incremental sync', () => {
  let fx: SampleFixture;
  let src: PgClient;
  let dst: PgClient;

  before(async () => {
    fx = await openSampleFixture(3000);
    ({ src, dst } = fx);
  });
  after(() => fx?.close());

  it('copies schema and data, completes, and leaves no slot or publication', async () => {
    const temporal = await temporalClient();
    const spec = fx.spec('full-only', {
      syncTypes: ['schema', 'full'],
      objects: [{ schema: 'shop', tables: ['customers', 'orders', 'order_lines', 'audit_log'] }],
    });
    const handle = await temporal.workflow.start(WORKFLOW_TYPE, { taskQueue: 'pg-dts', workflowId: 'full-only', args: [spec] });
    const result = await handle.result();
    assert.equal(result.tables, 4);
    assert.equal(result.consistentPoint, null);
    assert.deepEqual(await checksums(dst, SAMPLE_TABLES), await checksums(src, SAMPLE_TABLES));
    assert.deepEqual((await src.query('SELECT slot_name FROM pg_replication_slots')).rows, []);
    assert.deepEqual((await src.query('SELECT pubname FROM pg_publication')).rows, []);
  });
});
