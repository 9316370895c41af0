// The worker's Prometheus metrics: one registry per process, fed by the activities' reporting callbacks
// (activities/incremental.ts, activities/full.ts) and by the activity interceptor (retries). Labels carry
// the task id only — never a URL, user or anything else from the endpoints.
import type * as Prom from 'prom-client';

// prom-client is loaded only when the worker serves metrics (PG_DTS_METRICS_PORT): it costs a worker
// ~10 MB it would otherwise carry for nothing, against a 300 MB memory bound.

function build({ collectDefaultMetrics, Counter, Gauge, Registry }: typeof Prom) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pg_dts_' });

  // Every metric but the retry counter is per task; one shape for them all.
  const perTask = { labelNames: ['task'] as const, registers: [registry] };
  const gauge = (name: string, help: string) => new Gauge({ name, help, ...perTask });
  const counter = (name: string, help: string) => new Counter({ name, help, ...perTask });

  const lagSeconds = gauge('pg_dts_replication_lag_seconds', 'seconds between a source commit and its application on the destination');
  const applyRowsPerSecond = gauge('pg_dts_incremental_rows_per_second', 'row changes per second applied over the last report interval (3 s)');
  const applyBytesPerSecond = gauge('pg_dts_incremental_bytes_per_second', 'bytes of row changes per second applied over the last report interval (3 s)');
  const rowsApplied = counter('pg_dts_incremental_rows_applied_total', 'row changes applied to the destination by incremental sync on this worker');
  const bytesApplied = counter('pg_dts_incremental_bytes_applied_total', 'bytes of row changes applied by incremental sync on this worker');
  const retainedWalBytes = gauge('pg_dts_retained_wal_bytes', 'WAL the task\'s replication slot keeps on the source');
  const rowsCopied = counter('pg_dts_full_rows_copied_total', 'rows copied by full sync on this worker');
  const bytesCopied = counter('pg_dts_full_bytes_copied_total', 'bytes copied by full sync on this worker');
  const ddlApplied = counter('pg_dts_ddl_applied_total', 'replicated DDL statements applied on the destination');
  const ddlRefused = counter('pg_dts_ddl_refused_total', 'replicated DDL statements refused (not applied) by the task\'s rules');
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
