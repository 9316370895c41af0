// Benchmarks, outside the test suite: `npm run bench -- <name> [flags]`.
//   incremental   native logical replication vs pg-dts: catch-up of a backlog and steady-state lag
//   full          raw binary COPY pipe vs native initial sync vs pg-dts schema + full sync
//   verify        pg-dts verification (checksum, rows) vs pg-dts's full sync of the same data; worker memory
import { Cleanup } from './parts/cleanup';
import { usage } from './parts/config';
import { fullUsage } from './parts/full-config';
import { fullBenchmark } from './full';
import { incrementalBenchmark } from './incremental';
import { verifyUsage } from './parts/verify-config';
import { verifyBenchmark } from './verify';

const HELP = `usage: npm run bench -- <incremental|full|verify> [flags]

incremental flags (or environment variables):
${usage()}

full flags (or environment variables):
${fullUsage()}

verify flags (or environment variables):
${verifyUsage()}
`;

/** Runs a benchmark; Ctrl-C, a kill or a failure still stops the clusters, the worker and the Temporal server. */
async function withCleanup(run: (cleanup: Cleanup) => Promise<void>): Promise<number> {
  const cleanup = new Cleanup();
  const interrupted = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping everything the benchmark started …`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await run(cleanup);
    return 0;
  } finally {
    await cleanup.run();
  }
}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  switch (name) {
    case 'full':
      return withCleanup((cleanup) => fullBenchmark(args, cleanup));
    case 'incremental':
      return withCleanup((cleanup) => incrementalBenchmark(args, cleanup));
    case 'verify':
      return withCleanup((cleanup) => verifyBenchmark(args, cleanup));
    default:
      console.error(name && name !== '--help' && name !== '-h' ? `unknown benchmark "${name}"\n\n${HELP}` : HELP);
      return name === '--help' || name === '-h' ? 0 : 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
