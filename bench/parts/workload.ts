// The two loads both subscribers face, identical for native and pg-dts: a backlog written while the
// subscriber is stopped (catch-up), and a fixed-rate load while it runs (steady-state lag).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncrementalConfig } from './config';
import { currentWalLsn, type BenchClusters } from './clusters';
import { startLagSampler } from './lag-sampler';
import { say, sleep } from './log';
import { pgbench } from './pgbench';
import type { LagSummary } from './stats';

export interface Backlog {
  /** Source WAL position after the backlog: the catch-up is done when the slot confirms it. */
  target: string;
  seconds: number;
}

/** `pgbench -c 4 -j 2 -t TXNS/4 -n`, as in anchors.sh; -n because vacuuming would add unrelated WAL. */
export async function writeBacklog(pg: BenchClusters, cfg: IncrementalConfig): Promise<Backlog> {
  const r = await pgbench(pg.source.port, ['-c', String(cfg.clients), '-j', String(cfg.threads), '-t', String(cfg.txns / cfg.clients), '-n']);
  const target = await currentWalLsn(pg.src);
  say(`  backlog: ${cfg.txns} transactions in ${r.seconds.toFixed(1)} s (${r.tps?.toFixed(0) ?? '?'} tps); target LSN ${target}`);
  return { target, seconds: r.seconds };
}

export interface SteadyState {
  lag: LagSummary;
  /** Rate pgbench actually achieved (it falls short of -R when the machine cannot keep up). */
  tps: number | null;
}

/**
 * `pgbench -R rate -T warmup+seconds`, sampling the subscriber's replay_lag for the last `seconds` of it
 * (see IncrementalConfig.warmupSeconds for why the first ones are not sampled).
 */
export async function steadyState(pg: BenchClusters, cfg: IncrementalConfig, applicationName: string, label: string): Promise<SteadyState> {
  const sampling = await pg.source.client();
  try {
    const load = pgbench(pg.source.port, [
      '-R', String(cfg.steadyRate), '-T', String(cfg.steadySeconds + cfg.warmupSeconds), '-c', String(cfg.clients), '-j', String(cfg.threads), '-n',
    ]);
    load.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    await Promise.race([sleep(cfg.warmupSeconds * 1000), load]);
    const sampler = startLagSampler(sampling, applicationName, cfg.sampleMs);
    let tps: number | null;
    try {
      tps = (await load).tps;
    } catch (err) {
      await sampler.stop().catch(() => undefined);
      throw err;
    }
    const lag = await sampler.stop();
    // BENCH_LAG_DUMP=<dir>: keep every sample, to look at the shape behind the percentiles.
    if (process.env.BENCH_LAG_DUMP) writeFileSync(join(process.env.BENCH_LAG_DUMP, `lag-${label}.json`), JSON.stringify(lag.raw));
    const f = (v: number): string => v.toFixed(0);
    say(`  steady state: ${tps?.toFixed(0) ?? '?'} tps for ${cfg.steadySeconds} s; replay_lag p50 ${f(lag.p50)} p95 ${f(lag.p95)} p99 ${f(lag.p99)} max ${f(lag.max)} ms (${lag.samples} samples${lag.missing ? `, ${lag.missing} with no walsender` : ''})`);
    return { lag, tps };
  } finally {
    await sampling.end();
  }
}
