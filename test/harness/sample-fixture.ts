// The common setup of the end-to-end tests: two clusters, the sample shop schema seeded on the source,
// sessions on both sides, and a worker process. `close()` releases all of it.
import type { Client as PgClient } from 'pg';
import { SAMPLE_SCHEMA, seedRows } from '../../src/demo/sample';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import { releaseAll } from './cleanup';
import { startClusterPair, TEST_PASSWORD, type ClusterPair } from './clusters';
import { startWorker, type WorkerProcess } from './temporal';

/** Environment of workers started for sample tasks: the variables the sample specs name. */
export const WORKER_ENV = { PG_DTS_PW_SRC: TEST_PASSWORD, PG_DTS_PW_DST: TEST_PASSWORD };

export interface SampleFixture {
  pg: ClusterPair;
  src: PgClient;
  dst: PgClient;
  worker: WorkerProcess;
  /** A task spec over the shop schema that authenticates with passwords from the worker's environment. */
  spec(name: string, extra?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

export async function openSampleFixture(seedOrders: number): Promise<SampleFixture> {
  const pg = await startClusterPair();
  const src = await pg.source.client();
  const dst = await pg.destination.client();
  await src.query(SAMPLE_SCHEMA);
  await seedRows(src, seedOrders);
  return {
    pg, src, dst,
    worker: startWorker(WORKER_ENV),
    spec: (name, extra = {}) => ({
      name,
      source: { url: pg.source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_SRC' },
      destination: { url: pg.destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DST' },
      objects: [{ schema: 'shop' }],
      ...extra,
    }),
    close: async () => {
      await src.end();
      await dst.end();
      await releaseAll();
    },
  };
}
