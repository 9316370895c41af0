// The metric feeders and the retry interceptor, read back from the registry the worker serves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context } from '@temporalio/activity';
import { fullMetrics, incrementalMetrics } from '../../src/metrics/feed';
import { enableMetrics } from '../../src/metrics/registry';

const { registry } = enableMetrics(); // as the metrics server does when PG_DTS_METRICS_PORT is set
import { retryMetricsInterceptor } from '../../src/metrics/retry-interceptor';

async function value(metric: string, labels: Record<string, string>): Promise<number | undefined> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === metric);
  const v = (m?.values ?? []).find((s) => Object.entries(labels).every(([k, l]) => s.labels[k] === l));
  return v?.value;
}

describe('metrics', () => {
  it('counts applied rows across attempts by difference, and sets the gauges', async () => {
    const ddl = { applied: 0, refused: 0 };
    const attempt1 = incrementalMetrics('feed_t');
    attempt1({ lagSeconds: 4, rowsPerSecond: 10, bytesPerSecond: 100, retainedWalBytes: 5000, rows: 30, bytes: 300, ddl });
    attempt1({ lagSeconds: 1, rowsPerSecond: 10, bytesPerSecond: 100, retainedWalBytes: null, rows: 50, bytes: 500, ddl: { applied: 2, refused: 1 } });
    const attempt2 = incrementalMetrics('feed_t'); // a retried stream counts from 0 again
    attempt2({ lagSeconds: 0.5, rowsPerSecond: 3, bytesPerSecond: 30, retainedWalBytes: 700, rows: 7, bytes: 70, ddl });
    assert.equal(await value('pg_dts_incremental_rows_applied_total', { task: 'feed_t' }), 57);
    assert.equal(await value('pg_dts_incremental_bytes_applied_total', { task: 'feed_t' }), 570);
    assert.equal(await value('pg_dts_ddl_applied_total', { task: 'feed_t' }), 2);
    assert.equal(await value('pg_dts_ddl_refused_total', { task: 'feed_t' }), 1);
    assert.equal(await value('pg_dts_replication_lag_seconds', { task: 'feed_t' }), 0.5);
    assert.equal(await value('pg_dts_retained_wal_bytes', { task: 'feed_t' }), 700);
  });

  it('counts copied rows beyond what earlier attempts copied', async () => {
    const feed = fullMetrics('full_t', { rows: 100, bytes: 1000 });
    feed([{ rows: 100, bytes: 1000 }, { rows: 0, bytes: 0 }]);
    feed([{ rows: 150, bytes: 1500 }, { rows: 20, bytes: 200 }]);
    assert.equal(await value('pg_dts_full_rows_copied_total', { task: 'full_t' }), 70);
    assert.equal(await value('pg_dts_full_bytes_copied_total', { task: 'full_t' }), 700);
  });

  it('counts an attempt after the first as a retry, classed by the previous failure', async () => {
    const run = async (attempt: number, fail?: Error): Promise<void> => {
      const ctx = { info: { attempt, activityId: '7', activityType: 'incrementalSync', workflowExecution: { workflowId: 'wf', runId: 'r' } } } as unknown as Context;
      const execute = retryMetricsInterceptor(ctx).inbound!.execute!;
      await execute({ args: [{ taskId: 'retry_t' }], headers: {} }, async () => {
        if (fail) throw fail;
        return undefined;
      }).catch(() => undefined);
    };
    await run(1, Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    await run(2, new Error('boom'));
    await run(3);
    await run(2); // e.g. a retry first seen by this worker: nothing known about the failure
    assert.equal(await value('pg_dts_activity_retries_total', { task: 'retry_t', class: 'connection' }), 1);
    assert.equal(await value('pg_dts_activity_retries_total', { task: 'retry_t', class: 'other' }), 2);
  });
});
