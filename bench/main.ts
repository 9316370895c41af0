// Benchmarks, outside the test suite: `npm run bench -- <name> [flags]`.
//   incremental   native logical replication vs pg-dts: catch-up of a backlog and steady-state lag
//   full          full-sync benchmark (not implemented yet)
import { Cleanup } from './parts/cleanup';
import { usage } from './parts/config';
import { incrementalBenchmark } from './incremental';

const HELP = `usage: npm run bench -- <incremental|full> [flags]

incremental flags (or environment variables):
${usage()}
`;

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  switch (name) {
    case 'full':
      console.log('full benchmark: not implemented yet');
      return 0;
    case 'incremental': {
      const cleanup = new Cleanup();
      // Ctrl-C or a kill must still stop the clusters, the worker and the Temporal server.
      const interrupted = (signal: NodeJS.Signals): void => {
        console.error(`\n${signal}: stopping everything the benchmark started …`);
        void cleanup.run().finally(() => process.exit(130));
      };
      process.once('SIGINT', interrupted);
      process.once('SIGTERM', interrupted);
      try {
        await incrementalBenchmark(args, cleanup);
        return 0;
      } finally {
        await cleanup.run();
      }
    }
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
