// Where the CLI and the worker find Temporal: flags first, then the environment, then the local defaults.
// Kept apart from the worker so that CLI commands do not load the worker and its activities.
import { DEFAULT_TASK_QUEUE } from '../../workflows/messages';

export interface TemporalSettings {
  address?: string;
  namespace?: string;
  taskQueue?: string;
}

export function temporalSettings(opts: TemporalSettings = {}): Required<TemporalSettings> {
  return {
    address: opts.address ?? process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: opts.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: opts.taskQueue ?? process.env.PG_DTS_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
  };
}
