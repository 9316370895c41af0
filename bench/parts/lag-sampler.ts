// Samples replication lag during the steady state: pg_stat_replication.replay_lag of the subscriber's
// walsender on the source, found by application_name (the subscription name for native replication,
// `pg-dts:<task id>` for pg-dts). The walsender computes it from the subscriber's own feedback: time
// from a WAL position being written on the source to the subscriber reporting it applied. It is NULL
// when the subscriber is caught up and idle, which counts as 0 ms.
import type { Client } from 'pg';
import { summarizeLag, type LagSummary } from './stats';

export interface LagSampler {
  stop(): Promise<LagSummary & { raw: number[] }>;
}

/** `db` should be a session of its own: a sample must not queue behind other benchmark queries. */
export function startLagSampler(db: Client, applicationName: string, everyMs: number): LagSampler {
  const samples: number[] = [];
  let missing = 0;
  let stopped = false;
  let failure: unknown;
  const loop = (async () => {
    // Ticks are scheduled from a fixed start so slow samples do not stretch the sampling interval.
    const start = Date.now();
    for (let tick = 1; !stopped; tick++) {
      try {
        const r = await db.query<{ ms: number | null }>(
          `SELECT (EXTRACT(epoch FROM replay_lag) * 1000)::float8 AS ms FROM pg_stat_replication WHERE application_name = $1`,
          [applicationName],
        );
        if (!r.rows.length) missing++;
        else samples.push(Math.max(...r.rows.map((row) => row.ms ?? 0)));
      } catch (err) {
        failure = err;
        return;
      }
      const wait = start + tick * everyMs - Date.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      if (failure) throw failure;
      return { ...summarizeLag(samples, missing), raw: samples };
    },
  };
}
