// A pg-dts worker: polls the task queue and runs the syncTask workflow and its activities.
// More workers on the same task queue (on more machines) share the tasks.
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from '../../activities';
import { temporalSettings, type TemporalSettings } from '../temporal/settings';
import { logger } from '../log';
import { retryMetricsInterceptor } from '../metrics/retry-interceptor';
import { metricsPort, startMetricsServer } from '../metrics/server';
import { heapSoftLimitBytes, startMemoryGovernor } from './memory-governor';
import { workflowBundlePath } from './workflow-bundle';

export type WorkerOptions = TemporalSettings;

export async function createWorker(opts: WorkerOptions = {}): Promise<{ worker: Worker; connection: NativeConnection }> {
  const s = temporalSettings(opts);
  const connection = await NativeConnection.connect({ address: s.address });
  const worker = await Worker.create({
    connection,
    namespace: s.namespace,
    taskQueue: s.taskQueue,
    workflowBundle: { codePath: workflowBundlePath() },
    activities,
    // Cancellation reaches an activity only with the answer to a heartbeat, and the SDK batches
    // heartbeats (by default up to 80 % of the heartbeat timeout, i.e. 12 s for a stream). Pause, release
    // and a modifyObjects hand-over all wait for a stream to stop: flush heartbeats every second instead.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
    interceptors: { activity: [retryMetricsInterceptor] },
  });
  return { worker, connection };
}

export async function runWorker(opts: WorkerOptions = {}): Promise<void> {
  const port = metricsPort(); // a bad PG_DTS_METRICS_PORT fails the start, before connecting anywhere
  const { worker, connection } = await createWorker(opts);
  const stopMetrics = port === null ? async () => undefined : await startMetricsServer(port).catch((err: Error & { code?: string }) => {
    // Metrics are not the data path: a busy port (e.g. a second worker on this host) must not stop a worker.
    logger.error({ port, code: err.code }, 'cannot serve metrics on PG_DTS_METRICS_PORT; this worker runs without them (set another port, or 0)');
    return async () => undefined;
  });
  if (!process.execArgv.some((flag) => flag.startsWith('--max-semi-space-size'))) {
    logger.warn('started without --max-semi-space-size: run bin/pg-dts.js itself (not "node bin/pg-dts.js") for a worker ~16 MB smaller under load');
  }
  const stopGovernor = startMemoryGovernor({ softLimitBytes: heapSoftLimitBytes(), checkEveryMs: 50, minGapMs: 250 });
  try {
    await worker.run(); // returns after SIGINT/SIGTERM, once running activities have been cancelled
  } finally {
    stopGovernor();
    await stopMetrics();
    await connection.close();
  }
}
