// The Temporal side of a test: the dev server test/run.ts started (TEMPORAL_ADDRESS), a worker as a
// child process (so it can be killed), a client, and the real `temporal` CLI.
import { appendFileSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { onCleanup } from './cleanup';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { findTemporalCli } from '../../src/temporal/cli-binary';

const ROOT = join(__dirname, '..', '..');

export function temporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run the tests with `npm test`, which starts a Temporal dev server');
  return address;
}

export async function temporalClient(): Promise<Client> {
  const connection = await Connection.connect({ address: temporalAddress() });
  onCleanup(() => connection.close());
  const client = new Client({ connection });
  onCleanup(() => terminateRunningTasks(client));
  return client;
}

/**
 * Ends every workflow still running when a test file is done. Files run one after another against one
 * dev server: a task left running would keep retrying against clusters that are gone, on the workers of
 * the files after it (which then measure someone else's memory and CPU).
 */
async function terminateRunningTasks(client: Client): Promise<void> {
  for await (const execution of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
    await client.workflow.getHandle(execution.workflowId, execution.runId)
      .terminate('test file finished').catch(() => undefined); // it may have ended meanwhile
  }
}

export interface WorkerProcess {
  process: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `pg-dts worker` as a child process with the given extra environment (e.g. password variables). */
export function startWorker(env: Record<string, string>, taskQueue = 'pg-dts'): WorkerProcess {
  let output = '';
  // Started as users start it: bin/pg-dts.js itself, whose shebang carries the worker's Node flags.
  const child = spawn(join(ROOT, 'bin', 'pg-dts.js'), ['worker'], {
    env: { ...process.env, ...env, TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS ?? temporalAddress(), PG_DTS_TASK_QUEUE: taskQueue },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logFile = process.env.PG_DTS_WORKER_LOG;
  const capture = (d: Buffer): void => {
    output += d;
    if (logFile) appendFileSync(logFile, d);
  };
  child.stdout!.on('data', capture);
  child.stderr!.on('data', capture);
  const worker: WorkerProcess = {
    process: child,
    output: () => output,
    kill: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
  onCleanup(() => worker.kill('SIGKILL'));
  return worker;
}

/** Runs the real temporal CLI against the test server. */
export function temporalCli(args: string[]): { status: number; stdout: string; stderr: string } {
  const cli = findTemporalCli();
  if (!cli) throw new Error('temporal CLI not found');
  const r = spawnSync(cli, [...args, '--address', temporalAddress()], { encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the pg-dts CLI. */
export function pgDts(args: string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'pg-dts.js'), ...args], {
    env: { ...process.env, ...env, TEMPORAL_ADDRESS: temporalAddress() },
    encoding: 'utf8',
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
