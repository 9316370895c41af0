// Starts a local Temporal dev server (with the Web UI) as a child process, for the demo, the tests and
// `pg-dts server`. Persistence is a SQLite file when dbFile is given.
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { CLI_TYPE_NAMES, SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';
import { ensureTemporalCli } from './cli-binary';

export interface DevServerOptions {
  port: number;
  uiPort?: number;
  dbFile?: string;
  headless?: boolean;
  /** Where the server's output goes; default: discarded. */
  stdio?: 'inherit' | 'ignore';
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  cliPath: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The signals that end `pg-dts server` (a terminal's Ctrl-C, `kill`, systemd or docker stop, a closed terminal). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Until `child` exits, a stop signal to this process is passed on to it (SIGTERM, then SIGKILL after
 * `graceMs`), so the server never outlives its launcher with its ports held. Returns when the child has exited.
 */
export function stopWithParent(child: ChildProcess, graceMs = 10_000): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
    };
    for (const signal of STOP_SIGNALS) process.on(signal, stop);
    const done = (): void => {
      for (const signal of STOP_SIGNALS) process.off(signal, stop);
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', done);
  });
}

export function devServerArgs(opts: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--namespace', 'default', '--log-level', 'warn'];
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  // The task's search attributes (PgDtsPhase, ...): registered at every start, which the dev server
  // accepts for keys a database file already has.
  for (const key of SEARCH_ATTRIBUTE_KEYS) args.push('--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`);
  if (opts.headless) args.push('--headless');
  else if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  return args;
}

async function waitUntilServing(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with code ${child.exitCode}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`temporal dev server did not answer on ${address}: ${String(lastError)}`);
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const cliPath = ensureTemporalCli();
  if (!cliPath) throw new Error('no Temporal CLI found and Go is not installed: install the temporal CLI (https://docs.temporal.io/cli) or Go');
  const child = spawn(cliPath, devServerArgs(opts), { stdio: opts.stdio ?? 'ignore', detached: false });
  const address = `127.0.0.1:${opts.port}`;
  await waitUntilServing(address, child, 60_000);
  return {
    address,
    uiUrl: opts.headless ? null : `http://127.0.0.1:${opts.uiPort ?? opts.port + 1000}`,
    cliPath,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
