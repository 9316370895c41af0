// The source and destination clusters: embedded PostgreSQL 17 (the binaries pg-dts's tests use), tuned
// like shared/bench/pg-clusters.sh so the native anchor here is measured under the anchors' settings.
import type { Client } from 'pg';
import { startCluster, type PgCluster } from '../../src/pgcluster/embedded';
import { freePort } from '../../src/util/ports';
import type { Cleanup } from './cleanup';

/**
 * postgresql.conf lines on top of startCluster's (wal_level=logical, slots, senders). Same values as
 * pg-clusters.sh, including fsync=on, which startCluster turns off for the tests: a benchmark must pay for
 * durability like a real deployment (with synchronous_commit=off, commits still do not wait for it).
 */
export const BENCH_SETTINGS: Record<string, string | number> = {
  max_wal_senders: 20,
  max_replication_slots: 20,
  max_worker_processes: 16,
  max_logical_replication_workers: 8,
  max_sync_workers_per_subscription: 4,
  shared_buffers: '512MB',
  max_wal_size: '4GB',
  synchronous_commit: 'off',
  fsync: 'on',
};

export interface BenchClusters {
  source: PgCluster;
  destination: PgCluster;
  /** Long-lived admin sessions (user postgres, trust auth). */
  src: Client;
  dst: Client;
}

export async function startBenchClusters(cleanup: Cleanup): Promise<BenchClusters> {
  const source = await startCluster({ port: await freePort(), settings: BENCH_SETTINGS });
  cleanup.add('source cluster', () => source.stop());
  const destination = await startCluster({ port: await freePort(), settings: BENCH_SETTINGS });
  cleanup.add('destination cluster', () => destination.stop());
  const src = await source.client();
  cleanup.add('source session', () => src.end());
  const dst = await destination.client();
  cleanup.add('destination session', () => dst.end());
  // Prove the settings took effect rather than trusting the conf file (a typo there is silently ignored).
  for (const [name, db] of [['source', src], ['destination', dst]] as const) {
    const r = await db.query(`SELECT current_setting('shared_buffers') AS sb, current_setting('synchronous_commit') AS sc, current_setting('wal_level') AS wl`);
    const row = r.rows[0];
    if (row.wl !== 'logical' || row.sc !== 'off') throw new Error(`${name} cluster settings not applied: ${JSON.stringify(row)}`);
  }
  return { source, destination, src, dst };
}

/** The source's current WAL write position, the catch-up target (the same function anchors.sh uses). */
export async function currentWalLsn(src: Client): Promise<string> {
  const r = await src.query(`SELECT pg_current_wal_lsn()::text AS lsn`);
  return r.rows[0].lsn;
}
