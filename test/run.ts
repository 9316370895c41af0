// `npm test`: starts what the tests need that a single test file should not own — one Temporal dev
// server for the whole run (the CLI is found or built with Go first) — then runs Node's test runner.
//   npm test              every test
//   npm test -- --unit    unit tests only (no servers)
//   npm test -- FILE...   the given test files
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startDevServer } from '../src/temporal/dev-server';
import { freePort } from '../src/util/ports';

const ROOT = join(__dirname, '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? testFiles(path) : name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit');
  const named = args.filter((a) => !a.startsWith('--'));
  const files = named.length ? named : testFiles(join(ROOT, 'test', unitOnly ? 'unit' : '.'));
  const needsServer = files.some((f) => !relative(ROOT, f).startsWith(join('test', 'unit')));
  const env = { ...process.env };
  let server: Awaited<ReturnType<typeof startDevServer>> | undefined;
  if (needsServer) {
    server = await startDevServer({ port: await freePort(), headless: true });
    env.TEMPORAL_ADDRESS = server.address;
    env.TEMPORAL_CLI_PATH = server.cliPath;
    console.log(`# temporal dev server ${server.address} (${server.cliPath})`);
  }
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
      env,
      stdio: 'inherit',
      cwd: ROOT,
    });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    await server?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
