// One run of the native anchor, step for step as in shared/bench/anchors.sh: schema copied, subscription
// created and initially synced, DISABLE, backlog, ENABLE, catch-up timed on the slot. Then, with the
// subscription running, the steady-state lag, a row-level check, and DROP SUBSCRIPTION (which drops its
// slot on the source, so nothing holds WAL for the pg-dts run that follows).
import type { IncrementalConfig } from './config';
import type { BenchClusters } from './clusters';
import { reportCatchUp, timeSlotCatchUp } from './catchup';
import { say, sleep } from './log';
import type { SideResult } from './result';
import { copyTableDefinitions } from './schema-copy';
import { dropDestinationTables, PGBENCH_TABLES } from './tables';
import { pollUntil } from './wait';
import { waitForEqualTables } from './verify';
import { steadyState, writeBacklog } from './workload';

export const NATIVE_PUBLICATION = 'bench_pub';
/** Also the apply worker's application_name, by which the lag sampler finds its walsender. */
export const NATIVE_SUBSCRIPTION = 'bench_sub';

export async function createNativePublication(pg: BenchClusters): Promise<void> {
  await pg.src.query(`CREATE PUBLICATION ${NATIVE_PUBLICATION} FOR TABLE ${PGBENCH_TABLES.map((t) => `public.${t}`).join(', ')}`);
}

export interface InitialSyncOptions {
  subscription: string;
  publication: string;
  /** How many tables the publication holds: the sync is done when that many pg_subscription_rel rows are 'r'. */
  tables: number;
  timeoutMs: number;
}

/**
 * CREATE SUBSCRIPTION (copy_data, the default) on the destination, whose tables must already exist, and
 * waits until every table of the subscription is 'r' (ready): the initial sync is done and the apply
 * worker has caught up with it. Returns the seconds from CREATE SUBSCRIPTION to that point, measured as
 * in anchors.sh (polled every 50 ms).
 */
export async function nativeInitialSync(pg: BenchClusters, opts: InitialSyncOptions): Promise<number> {
  const t0 = Date.now();
  await pg.dst.query(
    `CREATE SUBSCRIPTION ${opts.subscription} CONNECTION 'host=127.0.0.1 port=${pg.source.port} user=postgres dbname=postgres' PUBLICATION ${opts.publication}`,
  );
  const counts = `SELECT count(*)::int AS n, count(*) FILTER (WHERE srsubstate = 'r')::int AS ready FROM pg_subscription_rel r
                    JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = $1`;
  let last = { n: 0, ready: 0 };
  const states = async (): Promise<string> => {
    if (opts.tables > 4) return `${last.ready} of ${last.n} tables ready`;
    const r = await pg.dst.query(
      `SELECT string_agg(srrelid::regclass::text || '=' || srsubstate::text, ' ' ORDER BY srrelid::regclass::text) AS s FROM pg_subscription_rel`,
    );
    return r.rows[0].s ?? 'no tables yet';
  };
  await pollUntil(
    `native initial sync of ${opts.subscription} (pg_subscription_rel all ready)`,
    async () => {
      last = (await pg.dst.query(counts, [opts.subscription])).rows[0];
      return last.n === opts.tables && last.ready === last.n;
    },
    { timeoutMs: opts.timeoutMs, everyMs: 50, progress: states },
  );
  return (Date.now() - t0) / 1000;
}

export async function nativeRun(pg: BenchClusters, cfg: IncrementalConfig, run: number): Promise<SideResult> {
  const timeoutMs = cfg.timeoutSeconds * 1000;
  await dropDestinationTables(pg.dst);
  await copyTableDefinitions(pg.src, pg.dst, PGBENCH_TABLES);
  try {
    const seconds = await nativeInitialSync(pg, { subscription: NATIVE_SUBSCRIPTION, publication: NATIVE_PUBLICATION, tables: PGBENCH_TABLES.length, timeoutMs });
    say(`  native initial sync: ${seconds.toFixed(1)} s`);

    await pg.dst.query(`ALTER SUBSCRIPTION ${NATIVE_SUBSCRIPTION} DISABLE`);
    // The apply worker exits asynchronously; the backlog must be written with nobody streaming it.
    await pollUntil('native apply worker to stop', async () => {
      const r = await pg.src.query(`SELECT active FROM pg_replication_slots WHERE slot_name = $1`, [NATIVE_SUBSCRIPTION]);
      return r.rows[0] && !r.rows[0].active;
    }, { timeoutMs: 60_000, everyMs: 50 });
    await sleep(500); // as anchors.sh
    const backlog = await writeBacklog(pg, cfg);

    const started = Date.now();
    await pg.dst.query(`ALTER SUBSCRIPTION ${NATIVE_SUBSCRIPTION} ENABLE`);
    const catchUp = await timeSlotCatchUp(pg.src, NATIVE_SUBSCRIPTION, backlog.target, started, { timeoutMs });
    reportCatchUp('native', catchUp);

    const steady = await steadyState(pg, cfg, NATIVE_SUBSCRIPTION, `native-run${run}`);
    const verifiedRows = await waitForEqualTables(pg.src, pg.dst, PGBENCH_TABLES, timeoutMs);
    say(`  native: destination = source (${verifiedRows} rows, ordered md5 per table)`);
    return { catchUp, backlogSeconds: backlog.seconds, steady, verifiedRows };
  } finally {
    await pg.dst.query(`DROP SUBSCRIPTION IF EXISTS ${NATIVE_SUBSCRIPTION}`);
  }
}
