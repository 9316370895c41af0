// A source and a destination cluster per test file, stopped even when tests fail.
import { onCleanup } from './cleanup';
import { startCluster, type PgCluster } from '../../src/pgcluster/embedded';
import { freePort } from '../../src/util/ports';

export const TEST_PASSWORD = 's3cret-Pw-not-in-history';

export interface ClusterPair {
  source: PgCluster;
  destination: PgCluster;
}

export async function startClusterPair(): Promise<ClusterPair> {
  const source = await startCluster({ port: await freePort(), securePassword: TEST_PASSWORD });
  const destination = await startCluster({ port: await freePort(), securePassword: TEST_PASSWORD });
  onCleanup(() => {
    source.stop();
    destination.stop();
  });
  return { source, destination };
}
