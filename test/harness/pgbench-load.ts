// The system's pgbench (the client tools the benchmark uses, bench/parts/pgbench.ts) as a background
// load on a test cluster: started, checked to be still running, stopped. Its TPC-B-like transactions
// update random pgbench_accounts, every teller and branch over and over, and insert pgbench_history rows.
import type { Client as PgClient } from 'pg';
import { pgbench, spawnPgbench } from '../../bench/parts/pgbench';
import { addHistoryKey } from '../../bench/parts/tables';
import { onCleanup } from './cleanup';

/** `pgbench -i -s <scale> -q` and a primary key on pgbench_history (pg-dts needs a key on every table). */
export async function initPgbench(db: PgClient, port: number, scale: number): Promise<void> {
  await pgbench(port, ['-i', '-s', String(scale), '-q']);
  await addHistoryKey(db);
}

export interface PgbenchLoad {
  /** Still running (a pgbench that failed, e.g. on a lost connection, has exited). */
  running(): boolean;
  /** Everything pgbench printed so far. */
  output(): string;
  /** Ends it (SIGINT) and resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * `pgbench -n <args>` in the background until stopped. -n: no VACUUM and, above all, no TRUNCATE of
 * pgbench_history before the run, which the task would replicate.
 */
export function startPgbenchLoad(port: number, args: string[]): PgbenchLoad {
  const child = spawnPgbench(port, ['-n', ...args]);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const stop = async (): Promise<void> => {
    if (running()) child.kill('SIGINT');
    await exited;
  };
  onCleanup(stop);
  return { running, output: () => output, stop };
}
