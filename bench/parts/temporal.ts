// The Temporal side of the pg-dts run, the way a user deploys it: a dev server, a `pg-dts worker` as a
// separate process (so its CPU use is its own, like native replication's apply worker, and not mixed
// with the benchmark's polling), and a client that starts tasks and sends signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../../src/temporal/dev-server';
import { findTemporalCli } from '../../src/temporal/cli-binary';
import { freePort } from '../../src/util/ports';
import type { Cleanup } from './cleanup';
import { say } from './log';

const ROOT = join(__dirname, '..', '..');
/** A queue of its own, so a stray worker of another checkout on the same server cannot take the task. */
export const BENCH_TASK_QUEUE = 'pg-dts-bench';

export interface BenchTemporal {
  address: string;
  client: Client;
  worker: ChildProcess;
  workerLog: string;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM'); // the worker cancels its activities (closing the stream) on SIGTERM
  });
}

const exits = new WeakMap<ChildProcess, Promise<never>>();

/**
 * Rejects when the worker process exits (a crashed worker would otherwise leave a task waiting for the
 * whole timeout). For use in a race: never resolves. One promise per worker, so races do not pile up
 * 'exit' listeners; its own no-op handler keeps the expected exit at cleanup from being unhandled.
 */
export function workerExit(t: BenchTemporal): Promise<never> {
  const { worker } = t;
  let exited = exits.get(worker);
  if (!exited) {
    exited = new Promise<never>((_, reject) => {
      const fail = (): void => reject(new Error(`the pg-dts worker exited (${worker.exitCode ?? worker.signalCode}); log: ${t.workerLog}`));
      if (worker.exitCode !== null || worker.signalCode !== null) fail();
      else worker.once('exit', fail);
    });
    exited.catch(() => undefined);
    exits.set(worker, exited);
  }
  return exited;
}

export async function startBenchTemporal(cleanup: Cleanup): Promise<BenchTemporal> {
  if (!findTemporalCli()) say('no Temporal CLI found: building it with Go (one time, a few minutes) …');
  const server = await startDevServer({ port: await freePort(), headless: true });
  cleanup.add('temporal dev server', () => server.stop());

  const logDir = mkdtempSync(join(tmpdir(), 'pg-dts-bench-'));
  const workerLog = join(logDir, 'worker.log');
  const out = openSync(workerLog, 'a');
  // Started as users start it: bin/pg-dts.js itself, whose shebang carries the worker's Node flags.
  const worker = spawn(join(ROOT, 'bin', 'pg-dts.js'), ['worker'], {
    env: { ...process.env, TEMPORAL_ADDRESS: server.address, PG_DTS_TASK_QUEUE: BENCH_TASK_QUEUE, PG_DTS_LOG_LEVEL: process.env.PG_DTS_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', out, out],
  });
  cleanup.add('pg-dts worker', () => stopChild(worker));
  worker.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL') say(`pg-dts worker exited (${code ?? signal}); log: ${workerLog}`);
  });

  // The full benchmark reads whole workflow histories, which for a task over 1 000 tables exceed gRPC's
  // default 4 MB message limit.
  const connection = await Connection.connect({ address: server.address, channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 } });
  cleanup.add('temporal client', () => connection.close());
  return { address: server.address, client: new Client({ connection }), worker, workerLog };
}
