// A source and a destination cluster per test file, stopped even when tests fail.
import type { Client as PgClient } from 'pg';
import { onCleanup, releaseAll } from './cleanup';
import { startCluster, type ClusterVersion, type PgCluster } from '../../src/pgcluster/embedded';
import { freePort } from '../../src/util/ports';

export const TEST_PASSWORD = 's3cret-Pw-not-in-history';

export interface ClusterPair {
  source: PgCluster;
  destination: PgCluster;
}

/** PostgreSQL majors of each side; default 17 (the version pg-dts depends on). */
export interface PairVersions {
  source?: ClusterVersion;
  destination?: ClusterVersion;
}

export async function startClusterPair(versions: PairVersions = {}): Promise<ClusterPair> {
  const source = await startCluster({ port: await freePort(), securePassword: TEST_PASSWORD, version: versions.source });
  const destination = await startCluster({ port: await freePort(), securePassword: TEST_PASSWORD, version: versions.destination });
  onCleanup(() => {
    source.stop();
    destination.stop();
  });
  return { source, destination };
}

export interface ClusterSessions {
  pg: ClusterPair;
  src: PgClient;
  dst: PgClient;
  /** Ends both sessions and releases everything the test registered (clusters, workers). */
  close(): Promise<void>;
}

/** A cluster pair with one session on each side: the common start of a test file. */
export async function openClusterSessions(versions: PairVersions = {}): Promise<ClusterSessions> {
  const pg = await startClusterPair(versions);
  const src = await pg.source.client();
  const dst = await pg.destination.client();
  return {
    pg, src, dst,
    close: async () => {
      await src.end().catch(() => undefined);
      await dst.end().catch(() => undefined);
      await releaseAll();
    },
  };
}
