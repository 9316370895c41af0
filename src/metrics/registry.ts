// The worker's Prometheus metrics: one registry per process, fed by the activities' reporting callbacks
// (activities/incremental.ts, activities/full.ts) and by the activity interceptor (retries). Labels carry
// the task id only — never a URL, user or anything else from the endpoints.
import type * as Prom from 'prom-client';

// prom-client is loaded only when the worker serves metrics (PG_DTS_METRICS_PORT): it costs a worker
// ~10 MB it would otherwise carry for nothing, against a 300 MB memory bound.

function build({ collectDefaultMetrics, Counter, Gauge, Registry }: typeof Prom) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pg_dts_' });

  const task = ['task'] as const;

  const lagSeconds = new Gauge({
    name: 'pg_dts_replication_lag_seconds', help: 'seconds between a source commit and its application on the destination', labelNames: task, registers: [registry],
  });
  const applyRowsPerSecond = new Gauge({
    name: 'pg_dts_incremental_rows_per_second', help: 'row changes per second applied over the last report interval (3 s)', labelNames: task, registers: [registry],
  });
  const applyBytesPerSecond = new Gauge({
    name: 'pg_dts_incremental_bytes_per_second', help: 'bytes of row changes per second applied over the last report interval (3 s)', labelNames: task, registers: [registry],
  });
  const rowsApplied = new Counter({
    name: 'pg_dts_incremental_rows_applied_total', help: 'row changes applied to the destination by incremental sync on this worker', labelNames: task, registers: [registry],
  });
  const bytesApplied = new Counter({
    name: 'pg_dts_incremental_bytes_applied_total', help: 'bytes of row changes applied by incremental sync on this worker', labelNames: task, registers: [registry],
  });
  const retainedWalBytes = new Gauge({
    name: 'pg_dts_retained_wal_bytes', help: 'WAL the task\'s replication slot keeps on the source', labelNames: task, registers: [registry],
  });
  const rowsCopied = new Counter({
    name: 'pg_dts_full_rows_copied_total', help: 'rows copied by full sync on this worker', labelNames: task, registers: [registry],
  });
  const bytesCopied = new Counter({
    name: 'pg_dts_full_bytes_copied_total', help: 'bytes copied by full sync on this worker', labelNames: task, registers: [registry],
  });
  const ddlApplied = new Counter({
    name: 'pg_dts_ddl_applied_total', help: 'replicated DDL statements applied on the destination', labelNames: task, registers: [registry],
  });
  const ddlRefused = new Counter({
    name: 'pg_dts_ddl_refused_total', help: 'replicated DDL statements refused (not applied) by the task\'s rules', labelNames: task, registers: [registry],
  });
  const retries = new Counter({
    name: 'pg_dts_activity_retries_total',
  help: 'activity attempts after the first, by the class of the previous failure (connection|other) and activity',
  labelNames: ['task', 'class', 'activity'] as const,
  registers: [registry],
  });
  return { registry, lagSeconds, applyRowsPerSecond, applyBytesPerSecond, rowsApplied, bytesApplied, retainedWalBytes, rowsCopied, bytesCopied, ddlApplied, ddlRefused, retries };
}

export type Metrics = ReturnType<typeof build>;
let metrics: Metrics | undefined;

/** Creates the metrics (once); the metrics server calls it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const enableMetrics = (): Metrics => (metrics ??= build(require('prom-client') as typeof Prom));

/** The metrics when enabled; undefined otherwise (feeders then do nothing). */
export const activeMetrics = (): Metrics | undefined => metrics;
