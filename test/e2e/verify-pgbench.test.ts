// `verifyTask` under a real pgbench load (issue 16, done-when): a task streams pgbench's four tables while
// pgbench runs rate-limited at 1 000 transactions per second for the whole of every verification. The
// load updates random accounts and every teller and branch many times a second, and appends history
// rows: the re-check rule (docs/verification.md) must leave all of that out, so checksum and rows modes
// report no difference and no unsettled range. Then one changed byte in one account row, injected on the
// destination while the load goes on, is reported with its table, its key and both sides' rows.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { PGBENCH_TABLES } from '../../bench/parts/tables';
import { rowHashFunctionOf } from '../../src/verify/sql';
import type { VerifyInput, VerifyReport } from '../../src/verify/types';
import { VERIFY_WORKFLOW_TYPE } from '../../workflows/verify-messages';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { initPgbench, startPgbenchLoad, type PgbenchLoad } from '../harness/pgbench-load';
import { WORKER_ENV } from '../harness/sample-fixture';
import { startStreamingTask } from '../harness/streaming-task';
import { startWorker, temporalClient } from '../harness/temporal';

const TASK = 'verify-pgbench';
/** pgbench scale: 100 000 pgbench_accounts rows per unit. */
const SCALE = Number(process.env.PG_DTS_VERIFY_PGBENCH_SCALE ?? 2);
const ACCOUNTS = SCALE * 100_000;
/** Accounts past pgbench's own (it picks aids in 1..ACCOUNTS): rows the load never updates. */
const QUIET_ACCOUNTS = 1000;
const INJECTED = ACCOUNTS + 500;
/** The injected row's filler on the destination: the source's 'quiet account …500' with its last '0' an 'O'. */
const CHANGED = `quiet account ${String(INJECTED).slice(0, -1)}O`;
const TPS = 1000;
const RANGE_ROWS = 25_000;

const RATE = (n: number, seconds: number): number => n / seconds;

describe('verify under a 1 000 tps pgbench load', () => {
  let fx: ClusterSessions;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;
  let load: PgbenchLoad;
  let verifications = 0;

  /** A verifyTask workflow through the client, its result and its duration; the load must outlive it. */
  const verify = async (input: Omit<VerifyInput, 'task'>): Promise<{ report: VerifyReport; seconds: number; tps: number }> => {
    const history = async (): Promise<number> => Number((await src.query('SELECT count(*) AS n FROM public.pgbench_history')).rows[0].n);
    const [h0, t0] = [await history(), Date.now()];
    const report: VerifyReport = await temporal.workflow.execute(VERIFY_WORKFLOW_TYPE, {
      taskQueue: 'pg-dts', workflowId: `${TASK}-verify-${++verifications}`, args: [{ task: TASK, rangeRows: RANGE_ROWS, ...input }],
    });
    const seconds = (Date.now() - t0) / 1000;
    assert.ok(load.running(), `pgbench stopped during the verification:\n${load.output()}`);
    // One pgbench_history row per committed transaction: the load's real rate over the verification.
    const tps = RATE((await history()) - h0, seconds);
    console.log(`# ${input.mode}: ${seconds.toFixed(1)} s under ${tps.toFixed(0)} tps; ${report.tables.map((t) => `${t.table} ${t.ranges} ranges, ${t.recheckedRanges} re-checked`).join('; ')}`);
    return { report, seconds, tps };
  };
  const table = (r: VerifyReport, name: string) => r.tables.find((t) => t.table === `public.${name}`)!;

  before(async () => {
    fx = await openClusterSessions();
    ({ src, dst } = fx);
    await initPgbench(src, fx.pg.source.port, SCALE);
    await src.query(`INSERT INTO public.pgbench_accounts SELECT g, 1, 0, 'quiet account ' || g FROM generate_series($1::int + 1, $1::int + $2::int) g`, [ACCOUNTS, QUIET_ACCOUNTS]);
    await src.query('ANALYZE');
    startWorker(WORKER_ENV);
    temporal = await temporalClient();
    await startStreamingTask(temporal, fx, TASK, 'pg-dts', {
      syncTypes: ['schema', 'full', 'incremental'],
      objects: [{ schema: 'public', tables: [...PGBENCH_TABLES] }],
    });
    // -R: rate-limited (pgbench catches up when it falls behind its schedule); -T: longer than the file.
    load = startPgbenchLoad(fx.pg.source.port, ['-c', '4', '-j', '2', '-R', String(TPS), '-T', '1800']);
  });
  after(async () => {
    await load?.stop();
    await fx?.close();
  });

  it('checksum and rows modes report no difference and no unsettled range while pgbench writes', async () => {
    // Two PostgreSQL 17 servers on one machine: the checksum sums the faster hashtextextended row hash.
    assert.equal(await rowHashFunctionOf(src, dst), 'hashtextextended');
    for (const mode of ['checksum', 'rows'] as const) {
      const { report, tps } = await verify({ mode });
      assert.equal(report.state, 'done');
      assert.equal(report.streaming, true);
      assert.equal(report.differences, 0, JSON.stringify(report, null, 2));
      assert.equal(report.unsettled, 0, JSON.stringify(report, null, 2));
      assert.ok(table(report, 'pgbench_accounts').rowsCompared >= ACCOUNTS, `${table(report, 'pgbench_accounts').rowsCompared} accounts compared`);
      assert.ok(table(report, 'pgbench_accounts').ranges >= ACCOUNTS / RANGE_ROWS / 2, `${table(report, 'pgbench_accounts').ranges} ranges`);
      assert.ok(tps >= TPS * 0.8, `the load ran at ${tps.toFixed(0)} tps, not about ${TPS}`);
    }
  });

  it('one changed byte in one account row is reported with its table, key and both sides, under the load', async () => {
    await dst.query(`
      BEGIN;
      SET LOCAL session_replication_role = replica;
      UPDATE public.pgbench_accounts SET filler = '${CHANGED}' WHERE aid = ${INJECTED};
      COMMIT;`);
    const rows = (await verify({ mode: 'rows' })).report;
    assert.equal(rows.differingTables, 1, JSON.stringify(rows, null, 2));
    assert.equal(rows.unsettled, 0, JSON.stringify(rows, null, 2));
    const accounts = table(rows, 'pgbench_accounts');
    assert.deepEqual(accounts.keyColumns, ['aid']);
    assert.deepEqual(accounts.differingKeys.map((k) => [k.key, k.kind]), [[[String(INJECTED)], 'different']], JSON.stringify(accounts, null, 2));
    assert.equal(accounts.differingKeyCount, 1);
    assert.match(accounts.differingKeys[0]!.source!, new RegExp(`quiet account ${INJECTED} `));
    assert.match(accounts.differingKeys[0]!.destination!, new RegExp(CHANGED));

    const checksum = (await verify({ mode: 'checksum' })).report;
    assert.equal(checksum.differingTables, 1, JSON.stringify(checksum, null, 2));
    assert.equal(checksum.unsettled, 0, JSON.stringify(checksum, null, 2));
    const ranges = table(checksum, 'pgbench_accounts').differingRanges;
    assert.equal(ranges.length, 1, JSON.stringify(ranges));
    const inRange = (lo: string[] | null, hi: string[] | null): boolean => (!lo || Number(lo[0]) <= INJECTED) && (!hi || INJECTED < Number(hi[0]));
    assert.ok(inRange(ranges[0]!.lo, ranges[0]!.hi), `the differing range ${JSON.stringify(ranges[0])} holds aid ${INJECTED}`);
  });
});
