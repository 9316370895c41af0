// Crash safety of incremental sync under a steady pgbench-style (TPC-B) load: the worker process is
// SIGKILLed 8 times at random moments (half of them aimed at a stream that is applying batches, half
// blind, 1-6 s after the restart) and restarted; then the destination and the source are each
// crash-restarted (`pg_ctl restart -m immediate`) while batches are being applied. Afterwards the
// destination equals the source row for row (ordered checksums), nothing was applied twice (an audit
// trigger on the destination's append-only history, the workers' missing-row warnings, status), and no
// worker died on its own. Every kill and restart logs the LSNs around it; a divergence is explained row by
// row with the source commit LSN of each affected transaction (from a test_decoding witness slot) next to
// the LSN every stream attempt resumed from.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { SECURE_USER } from '../../src/pgcluster/embedded';
import { originName, slotName, streamSessionName, taskIdFromWorkflowId } from '../../src/spec/task-id';
import { parseLsn } from '../../src/util/lsn';
import { statusQuery } from '../../workflows/messages';
import type { TaskStatus } from '../../workflows/status';
import { BANK_TABLES, connectLocal, seedBank, startBankLoad, type BankLoad } from '../harness/bank-load';
import { checksums, waitFor } from '../harness/checksum';
import { releaseAll } from '../harness/cleanup';
import { startClusterPair, type ClusterPair } from '../harness/clusters';
import { WORKER_ENV } from '../harness/sample-fixture';
import { pgDts, startWorker, temporalClient, type WorkerProcess } from '../harness/temporal';

const TASK = 'fault-crash-bank';
const TASK_ID = taskIdFromWorkflowId(TASK);
const ORIGIN = originName(TASK_ID);
const SLOT = slotName(TASK_ID);
const APP = streamSessionName(TASK_ID);
const KILLS = 8;
const LOAD = { clients: 3, targetTps: 250 };
/**
 * A test_decoding slot on the source, created before the load and never consumed: when the destination
 * diverges, it tells the commit LSN of each transaction whose rows are missing or different there.
 */
const WITNESS_SLOT = 'crash_test_witness';
/**
 * History rows are only ever inserted on the source, and the applier writes inserts as upserts, so a
 * transaction applied twice would pass unseen in the data. A trigger that fires even in replica sessions
 * notes every UPDATE of a destination history row: each one is a source transaction applied again.
 */
const REWRITE_AUDIT = `
CREATE SCHEMA crash_audit;
CREATE TABLE crash_audit.history_rewrites (hid bigint, at timestamptz DEFAULT clock_timestamp(), pid int DEFAULT pg_backend_pid(), session_progress text);
CREATE FUNCTION crash_audit.note_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE progress text;
BEGIN
  BEGIN
    progress := pg_replication_origin_session_progress(false)::text;
  EXCEPTION WHEN OTHERS THEN
    progress := NULL;
  END;
  INSERT INTO crash_audit.history_rewrites (hid, session_progress) VALUES (OLD.hid, progress);
  RETURN NEW;
END $$;
CREATE TRIGGER note_rewrite BEFORE UPDATE ON bank.history FOR EACH ROW EXECUTE FUNCTION crash_audit.note_rewrite();
ALTER TABLE bank.history ENABLE ALWAYS TRIGGER note_rewrite;
`;

/**
 * Diagnosis aid: with PG_DTS_CRASH_LOGS=<dir>, the destination logs every statement (with its pid and
 * xid) and both clusters' server logs are copied there at the end, passed or failed.
 */
const KEEP_LOGS = process.env.PG_DTS_CRASH_LOGS;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** `p`, or a rejection after `ms`; the timer never outlives the race (it would keep the process alive). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
const randomMs = (lo: number, hi: number): number => Math.round(lo + Math.random() * (hi - lo));
const t0 = Date.now();
const log = (line: string): void =>
  console.log(`# [${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s ${new Date().toISOString().slice(11, 23)}] ${line}`);

/** A session that reconnects once when a query fails (the clusters are crash-restarted under it). */
class Probe {
  private db: PgClient | null = null;
  constructor(private readonly port: number) {}

  async query<T extends object>(text: string, values: unknown[] = []): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.db ??= await connectLocal(this.port, 'crash-test-probe');
        return (await this.db.query<T>(text, values)).rows;
      } catch (err) {
        await this.db?.end().catch(() => undefined);
        this.db = null;
        if (attempt === 2) throw err;
      }
    }
  }

  async close(): Promise<void> {
    await this.db?.end().catch(() => undefined);
    this.db = null;
  }
}

/** What the destination and the source say about the stream at one moment. */
interface Snapshot {
  /** Origin progress (in memory: includes commits not yet flushed), null before the first batch. */
  origin: string | null;
  /** Applier sessions of the task on the destination, with whether they hold an open batch that wrote. */
  sessions: { pid: number; state: string; writing: boolean }[];
  slotActivePid: number | null;
  slotConfirmed: string | null;
}

describe('crash safety under a pgbench-style load: worker SIGKILL x8, destination and source pg_ctl restart -m immediate', () => {
  let pg: ClusterPair;
  let dstProbe: Probe;
  let srcProbe: Probe;
  let temporal: Client;
  let load: BankLoad | undefined;
  const workers: WorkerProcess[] = [];
  const killedByTest = new Set<WorkerProcess>();
  /** Workers that exited without being killed by the test: a crash of the worker itself. */
  const crashed: string[] = [];
  let testOver = false;

  before(async () => {
    pg = await startClusterPair();
    const src = await pg.source.client();
    await seedBank(src);
    await src.query(`SELECT pg_create_logical_replication_slot($1, 'test_decoding')`, [WITNESS_SLOT]);
    await src.end();
    dstProbe = new Probe(pg.destination.port);
    srcProbe = new Probe(pg.source.port);
    if (KEEP_LOGS) {
      await dstProbe.query(`ALTER SYSTEM SET log_statement = 'all'`);
      await dstProbe.query(`ALTER SYSTEM SET log_line_prefix = '%m [%p] xid=%x %a: '`);
      await dstProbe.query('SELECT pg_reload_conf()');
    }
    temporal = await temporalClient();
  });
  after(async () => {
    testOver = true;
    await load?.stop();
    await dstProbe?.close();
    await srcProbe?.close();
    if (KEEP_LOGS && pg) {
      mkdirSync(KEEP_LOGS, { recursive: true });
      for (const [name, cluster] of Object.entries({ source: pg.source, destination: pg.destination })) {
        const file = join(dirname(cluster.dataDir), 'postgres.log');
        if (existsSync(file)) copyFileSync(file, join(KEEP_LOGS, `${name}.log`));
      }
    }
    await releaseAll();
  });

  const launchWorker = (): WorkerProcess => {
    const w = startWorker(WORKER_ENV);
    workers.push(w);
    const n = workers.length;
    w.process.once('exit', (code, signal) => {
      if (killedByTest.has(w) || testOver) return;
      const tail = w.output().split('\n').filter((l) => l.trim()).slice(-12).join('\n  ');
      crashed.push(`worker ${n} exited by itself (code ${code}, signal ${signal}); its last output:\n  ${tail}`);
      log(crashed[crashed.length - 1]);
    });
    return w;
  };

  const kill = async (w: WorkerProcess): Promise<void> => {
    killedByTest.add(w);
    await w.kill('SIGKILL');
  };

  /** No worker may die on its own: nothing would restart it here, and in production it is a crash. */
  const noCrash = (): void => {
    if (crashed.length) throw new Error(crashed.join('\n'));
  };

  /** The status query needs a live worker to answer: bounded, and null when none answers in time. */
  const status = async (timeoutMs = 2000): Promise<TaskStatus | null> => {
    return within(temporal.workflow.getHandle(TASK).query(statusQuery), timeoutMs, 'status').catch(() => null);
  };

  const origin = async (flushed = false): Promise<string | null> => {
    const rows = await dstProbe.query<{ lsn: string | null }>(
      `SELECT pg_replication_origin_progress(roname, $2)::text AS lsn FROM pg_replication_origin WHERE roname = $1`,
      [ORIGIN, flushed],
    );
    const lsn = rows[0]?.lsn ?? null;
    return lsn && lsn !== '0/0' ? lsn : null;
  };

  const snapshot = async (): Promise<Snapshot> => {
    const sessions = await dstProbe.query<{ pid: number; state: string; writing: boolean }>(
      `SELECT pid, state, backend_xid IS NOT NULL AS writing FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid`,
      [APP],
    );
    const slot = await srcProbe.query<{ pid: number | null; lsn: string | null }>(
      `SELECT active_pid AS pid, confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`,
      [SLOT],
    );
    return { origin: await origin(), sessions, slotActivePid: slot[0]?.pid ?? null, slotConfirmed: slot[0]?.lsn ?? null };
  };

  const describeSnapshot = (s: Snapshot): string =>
    `origin=${s.origin} slot.confirmed=${s.slotConfirmed} slot.active_pid=${s.slotActivePid} ` +
    `applier=${s.sessions.map((x) => `${x.pid}:${x.state}${x.writing ? '+batch' : ''}`).join(',') || 'none'}`;

  const gt = (a: string | null, b: string | null): boolean => a !== null && (b === null || parseLsn(a) > parseLsn(b));

  /** Waits until the destination's origin progress moves past where it is now: a stream is applying. */
  const waitApplying = async (what: string, timeoutMs: number): Promise<string> => {
    const from = await waitFor('origin progress readable', async () => ({ lsn: await origin() }), 30_000);
    const started = Date.now();
    let lsn: string | null = null;
    while (!gt(lsn, from.lsn)) {
      noCrash(); // fail at once, not after the timeout
      if (Date.now() - started > timeoutMs) {
        const s = await status(5000);
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: origin progress stays at ${lsn ?? from.lsn}; ` +
          `stream: ${describeSnapshot(await snapshot())}; status.lastError: ${s?.lastError}`);
      }
      await sleep(100);
      lsn = await origin().catch(() => null); // null while the destination restarts
    }
    log(`${what}: applying again after ${((Date.now() - started) / 1000).toFixed(1)}s, origin ${from.lsn} -> ${lsn}`);
    return lsn!;
  };

  /**
   * Which rows differ, the source transactions that last wrote them and where those committed, next to
   * where every stream attempt resumed: enough to tell which kill or restart lost or repeated what.
   */
  const diagnoseDivergence = async (src: PgClient, dst: PgClient): Promise<string> => {
    const lines: string[] = [];
    const xids = new Set<string>();
    for (const [table, key] of Object.entries(BANK_TABLES)) {
      const read = async (db: PgClient): Promise<Map<string, { row: string; xmin: string }>> => {
        const r = await db.query<{ k: string; row: string; xmin: string }>(`SELECT (${key})::text AS k, t::text AS row, t.xmin::text AS xmin FROM ${table} t`);
        return new Map(r.rows.map((x) => [x.k, x]));
      };
      const [a, b] = [await read(src), await read(dst)];
      const diffs: string[] = [];
      for (const [k, x] of a) {
        const y = b.get(k);
        if (y?.row === x.row) continue;
        xids.add(x.xmin);
        diffs.push(y ? `${key}=${k} differs (source xid ${x.xmin}): source ${x.row} destination ${y.row}` : `${key}=${k} missing (source xid ${x.xmin}): ${x.row}`);
      }
      for (const [k, y] of b) if (!a.has(k)) diffs.push(`${key}=${k} only on the destination: ${y.row}`);
      if (diffs.length) lines.push(`${table}: ${diffs.length} rows differ`, ...diffs.slice(0, 15).map((d) => `  ${d}`));
    }
    if (xids.size) {
      const commits = await sourceCommits(src, [...xids]);
      lines.push(`source commits (end LSN) of those rows: ${[...xids].map((x) => `xid ${x} at ${commits.get(x) ?? '?'}`).join(', ')}`);
      // The first attempt that resumed at or past a commit the destination lacks is where it was skipped.
      const resumes = workers.flatMap((w, i) => resumedFrom(w).filter((f) => /\//.test(f)).map((from) => ({ worker: i + 1, from })));
      for (const [xid, lsn] of commits) {
        const skipper = resumes.find((r) => !gt(lsn, r.from));
        if (skipper) lines.push(`xid ${xid} (commit end ${lsn}) was skipped: worker ${skipper.worker} resumed from ${skipper.from}`);
      }
    }
    lines.push(...(await rewrites(src, dst)), attempts());
    return lines.join('\n');
  };

  /** Source commit LSN of each given source transaction id, from the witness slot. */
  const sourceCommits = async (src: PgClient, xids: string[]): Promise<Map<string, string>> => {
    if (!xids.length) return new Map();
    const r = await src.query<{ lsn: string; xid: string }>(
      `SELECT lsn::text, xid::text FROM pg_logical_slot_peek_changes($1, NULL, NULL, 'include-xids', '1')
        WHERE xid::text = ANY($2::text[]) AND data LIKE 'COMMIT%'`,
      [WITNESS_SLOT, xids],
    );
    return new Map(r.rows.map((x) => [x.xid, x.lsn]));
  };

  /** Destination history rows written twice, each with the source transaction and where it committed. */
  const rewrites = async (src: PgClient, dst: PgClient): Promise<string[]> => {
    const r = await dst.query<{ hid: string; at: Date; pid: number; session_progress: string | null }>(
      'SELECT hid::text, at, pid, session_progress FROM crash_audit.history_rewrites ORDER BY at',
    );
    if (!r.rows.length) return [];
    const xmins = await src.query<{ hid: string; xmin: string }>(
      'SELECT hid::text, xmin::text FROM bank.history WHERE hid = ANY($1::bigint[])',
      [r.rows.map((x) => x.hid)],
    );
    const xidOf = new Map(xmins.rows.map((x) => [x.hid, x.xmin]));
    const commits = await sourceCommits(src, [...new Set(xidOf.values())]);
    return r.rows.map((x) => {
      const xid = xidOf.get(x.hid);
      return `hid ${x.hid} applied again at ${x.at.toISOString()} by destination pid ${x.pid} (session origin progress ` +
        `${x.session_progress}); source xid ${xid} committed at ${xid ? commits.get(xid) : '?'}`;
    });
  };

  const attempts = (): string =>
    `stream attempts resumed from: ${workers.map((w, i) => `worker ${i + 1} ${JSON.stringify(resumedFrom(w))}`).join('; ')}`;

  /**
   * Waits (at most 180 s) until the destination equals the source. Fails early once the slot has been
   * confirmed past the end of the load's WAL while the tables still differ: a confirmed position promises
   * that everything before it is durably applied, so nothing more would arrive to fix the difference.
   */
  const convergence = async (src: PgClient, dst: PgClient): Promise<void> => {
    const loadEnd = (await src.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
    const deadline = Date.now() + 180_000;
    let drainedButDifferent = 0;
    for (;;) {
      const [a, b] = [await checksums(src, BANK_TABLES), await checksums(dst, BANK_TABLES)];
      if (JSON.stringify(a) === JSON.stringify(b)) return;
      const confirmed = (await snapshot().catch(() => null))?.slotConfirmed ?? null;
      drainedButDifferent = confirmed !== null && !gt(loadEnd, confirmed) ? drainedButDifferent + 1 : 0;
      const why = drainedButDifferent >= 3
        ? `the slot is confirmed at ${confirmed}, past the load's end ${loadEnd}, yet the destination differs`
        : Date.now() > deadline ? 'timed out after 180 s' : null;
      if (why) throw new Error(`destination != source: ${why}\nsource:      ${JSON.stringify(a)}\ndestination: ${JSON.stringify(b)}`);
      await sleep(1000);
    }
  };

  /** The LSN each stream attempt of this worker resumed from, as its log says. */
  const resumedFrom = (w: WorkerProcess): string[] =>
    w.output().split('\n').filter((l) => l.includes('incremental stream started')).map((l) => {
      try {
        return String(JSON.parse(l).from);
      } catch {
        return '?';
      }
    });

  it(`converges row for row after ${KILLS} worker kills and crash restarts of both clusters`, { timeout: 330_000 }, async () => {
    let worker = launchWorker();
    load = startBankLoad({ connect: () => connectLocal(pg.source.port), ...LOAD });

    const spec = join(mkdtempSync(join(tmpdir(), 'pg-dts-crash-')), 'spec.json');
    writeFileSync(spec, JSON.stringify({
      name: TASK,
      source: { url: pg.source.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_SRC' },
      destination: { url: pg.destination.url('postgres', SECURE_USER), passwordEnv: 'PG_DTS_PW_DST' },
      syncTypes: ['schema', 'full', 'incremental'],
      objects: [{ schema: 'bank' }],
    }));
    const started = pgDts(['start', '--spec', spec]);
    assert.equal(started.status, 0, started.stderr);
    const handle = temporal.workflow.getHandle(TASK);
    await waitFor('incremental phase', async () => (await status())?.phase === 'incremental', 120_000, 500);
    log(`incremental phase reached; load so far ${JSON.stringify(load.stats())}`);
    await dstProbe.query(REWRITE_AUDIT);
    await waitApplying('first stream', 60_000);

    // 1. SIGKILL the worker 8 times. Even kills wait for the restarted worker's stream to apply again
    //    (Temporal retries the stream once its 15 s heartbeat timeout expires) and strike while it does;
    //    odd kills strike blind, 1-6 s after the restart (often while the worker is still starting up).
    let applyingKills = 0;
    for (let i = 1; i <= KILLS; i++) {
      const aimed = i % 2 === 1;
      if (aimed) {
        await waitApplying(`before kill #${i}`, 120_000);
        log(`worker ${workers.length} resumed from ${JSON.stringify(resumedFrom(worker))}`);
      }
      const delay = randomMs(1000, 6000);
      await sleep(delay - 1000);
      const earlier = await origin();
      await sleep(1000);
      const st = await status(1000);
      const before = await snapshot();
      await kill(worker);
      // Applying: the applier holds a batch with written rows, or committed one within the last second.
      const applying = before.sessions.some((x) => x.writing) || (before.sessions.length > 0 && gt(before.origin, earlier));
      if (applying) applyingKills++;
      const afterKill = await snapshot();
      log(
        `kill #${i} (${aimed ? 'aimed' : 'blind'}, ${delay} ms after ${aimed ? 'resumption' : 'restart'}, ` +
        `${applying ? 'stream applying' : 'stream not applying'}): before ${describeSnapshot(before)}; ` +
        `status.incremental ${st?.incremental ? `applied=${st.incremental.appliedLsn} rows=${st.incremental.rows} at ${st.incremental.reportedAt}` : 'n/a'}; ` +
        `after ${describeSnapshot(afterKill)}; flushed origin ${await origin(true)}`,
      );
      worker = launchWorker();
    }
    log(`${applyingKills}/${KILLS} kills struck while the stream was applying`);
    assert.ok(applyingKills >= 2, `only ${applyingKills} kills struck while the stream was applying`);

    // 2. Crash-restart the destination while a batch is open (the applier session holds written rows).
    await waitApplying('before destination restart', 120_000);
    const inBatch = await waitFor('an open batch on the destination', async () => {
      const s = await snapshot();
      return s.sessions.some((x) => x.writing) ? s : undefined;
    }, 10_000, 10).catch(() => null);
    const beforeDst = inBatch ?? (await snapshot());
    pg.destination.restart('immediate');
    log(`destination restarted -m immediate (${inBatch ? 'mid-batch' : 'no open batch seen'}): before ${describeSnapshot(beforeDst)}; after origin ${await origin()}`);
    await waitApplying('after destination restart', 120_000);

    // 3. The same for the source: the walsender, the slot's in-memory state and the load's sessions die.
    await sleep(randomMs(1000, 3000));
    const beforeSrc = await snapshot();
    pg.source.restart('immediate');
    const afterSrc = await waitFor('source back', () => snapshot(), 30_000);
    log(`source restarted -m immediate: before ${describeSnapshot(beforeSrc)}; after ${describeSnapshot(afterSrc)}`);
    await waitApplying('after source restart', 120_000);
    log(`worker ${workers.length} resumed from ${JSON.stringify(resumedFrom(worker))}`);
    const committed = load.stats().committed;
    await waitFor('the load commits again', async () => load!.stats().committed > committed + 100, 30_000);

    // 4. Stop the load and wait for the destination to catch up.
    noCrash();
    const loadStats = await load.stop();
    load = undefined;
    log(`load stopped: ${JSON.stringify(loadStats)}`);
    assert.ok(loadStats.committed > 2000, `the load committed only ${loadStats.committed} transactions`);
    assert.ok(loadStats.reinserts > 0 && loadStats.keyFlips > 0, 'the load deleted+reinserted rows and changed keys');
    assert.ok(loadStats.reconnects > 0, 'the load reconnected after the source restart');

    const src = await connectLocal(pg.source.port, 'crash-test-verify');
    const dst = await connectLocal(pg.destination.port, 'crash-test-verify');
    try {
      const convergeStart = Date.now();
      try {
        await convergence(src, dst);
      } catch (err) {
        const s = await status(5000);
        throw new Error(`${(err as Error).message}\nstatus: ${JSON.stringify(s?.incremental)} lastError: ${s?.lastError}\n` +
          `stream: ${describeSnapshot(await snapshot())}${crashed.length ? `\n${crashed.join('\n')}` : ''}\n` +
          (await diagnoseDivergence(src, dst).catch((e) => `(diagnosis failed: ${e})`)));
      }
      const convergedAt = Date.now();
      log(`converged in ${((convergedAt - convergeStart) / 1000).toFixed(1)}s`);

      // Row for row: ordered checksums of every table, and the append-only history's row count.
      const [a, b] = [await checksums(src, BANK_TABLES), await checksums(dst, BANK_TABLES)];
      assert.deepEqual(b, a);
      const count = async (db: PgClient): Promise<number> => (await db.query('SELECT count(*)::int AS n FROM bank.history')).rows[0].n;
      assert.equal(await count(dst), await count(src));
      log(`rows: ${Object.entries(a).map(([t, c]) => `${t}=${c.rows}`).join(' ')}`);

      const report = await waitFor('a status report after convergence', async () => {
        const s = await status();
        return s?.incremental && Date.parse(s.incremental.reportedAt) > convergedAt ? s.incremental : undefined;
      }, 30_000, 500);
      // Nothing applied twice: no history row written again, no update or delete that found its row gone
      // (in the latest report, and in every worker's log, which covers the attempts killed in between).
      assert.deepEqual(await rewrites(src, dst), [], `source transactions applied twice\n${attempts()}`);
      const missing = workers.flatMap((w, i) =>
        w.output().split('\n').filter((l) => l.includes('missing on the destination')).map((l) => `worker ${i + 1}: ${l}`));
      assert.deepEqual(missing, [], `updates/deletes found their row missing on the destination\n${attempts()}`);
      assert.equal(report.missingRows, 0, `status.incremental: ${JSON.stringify(report)}`);
      const flushed = await dst.query(`SELECT pg_replication_origin_progress($1, true)::text AS lsn`, [ORIGIN]);
      assert.notEqual(flushed.rows[0].lsn, null, 'the destination recorded its progress in the replication origin');
      assert.deepEqual(crashed, [], 'no worker process died on its own');
    } finally {
      await src.end().catch(() => undefined);
      await dst.end().catch(() => undefined);
    }

    await handle.signal('release');
    await within(handle.result(), 60_000, 'release');
    const leftover = await srcProbe.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1`, [SLOT]);
    assert.equal(leftover.length, 0, 'release dropped the slot');
  });
});
