// Issue 15, "Done when": a realistic application schema (test/harness/app-schema-fixture.ts) goes through
// schema + full + incremental sync while the application writes and runs its migrations — every DDL kind
// issue 15 lists — and the destination ends equal to the source: every table's rows, and `pg_dump -s` of
// both databases minus the differences listed (and justified) in NORMALIZATIONS. PostgreSQL 15 on both
// sides, because the machine's pg_dump is 15 (see schema-fidelity.test.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import { startCluster, type PgCluster } from '../../src/pgcluster/embedded';
import { freePort } from '../../src/util/ports';
import { statusQuery } from '../../workflows/messages';
import { APP_SCHEMA, APP_TABLES, CHURN, HAND_OVER, MATVIEWS, type ChurnStep } from '../harness/app-schema-fixture';
import { waitFor, waitForConvergence } from '../harness/checksum';
import { onCleanup, releaseAll } from '../harness/cleanup';
import { TEST_PASSWORD, type ClusterPair } from '../harness/clusters';
import { WORKER_ENV } from '../harness/sample-fixture';
import { clusterSpec } from '../harness/task-spec-file';
import { startWorker, temporalClient, type WorkerProcess } from '../harness/temporal';
import { startWriteLoop, type WriteLoop } from '../harness/write-loop';

const TASK = 'appschema';
const PG_DUMP = '/usr/lib/postgresql/15/bin/pg_dump';

/**
 * What is taken out of both dumps before comparing, each with why it may differ. A pg_dump "block" is one
 * object: its `-- Name: …; Type: …` header and the statement(s) under it; `keep` returns the block to
 * compare (possibly with lines removed) or undefined to leave it out.
 */
const NORMALIZATIONS: { why: string; keep: (b: DumpBlock) => DumpBlock | undefined }[] = [
  { why: 'pg-dts\'s BEFORE TRUNCATE statement triggers on the source\'s leaf partitions (docs/ddl-replication.md: the partition TRUNCATE capture); released with the task',
    keep: (b) => (b.type === 'TRIGGER' && /^\S+ dts_/.test(b.name) ? undefined : b) },
  { why: 'REPLICA IDENTITY is the task\'s business on the source (spec replicaIdentity) and not reproduced (docs/schema-sync.md, "What is not reproduced"); pg_dump prints it in the table\'s block',
    keep: (b) => ({ ...b, sql: b.sql.replace(/^ALTER TABLE (ONLY )?\S+ REPLICA IDENTITY [^;]*;\n/gm, '') }) },
];

/** Refusals this schema's migrations cause by design, each with why. */
const EXPECTED_REFUSALS: { reason: string; statement: RegExp; why: string }[] = [
  { reason: 'in-function', statement: /^REFRESH MATERIALIZED VIEW CONCURRENTLY /,
    why: 'REFRESH … CONCURRENTLY runs its own CREATE TEMP TABLE / DROP of a diff table through SPI; the event triggers see those nested ' +
      'commands, which have nothing to replicate (the REFRESH itself is replayed)' },
];

/**
 * REFRESH replays at the commit of the source's REFRESH transaction; the source computed the view from its
 * snapshot taken when the statement started. Rows committed in between (the write loop keeps updating
 * app.issues) are in the destination's result and not the source's.
 */
const MATVIEW_TODO = 'REFRESH MATERIALIZED VIEW under concurrent writes to its tables: replayed at commit order, computed on the source from an earlier snapshot';

/**
 * finishSchema creates the materialized view WITH DATA: its query runs on the destination's copy of the
 * tables as of the task's cut, not the source's contents, which are as of its last REFRESH.
 */
const STALE_MATVIEW_TODO = 'schema sync populates a materialized view from the copied tables instead of copying its rows: a source view refreshed before later writes differs';

/**
 * A migration committed while a re-copied table is caught up (after the copy's snapshot, before the join)
 * reaches the catch-up stream too, which applies only that table's rows but replays the DDL of every
 * object of the whole-selected schema: CREATE FUNCTION runs again (the main stream ran it), CREATE TRIGGER
 * / CREATE INDEX on other tables are refused there as outside-selection. The catch-up's batch then fails
 * and is retried; at its stop IncrementalStream.run swallows the error of applier.drain(), so the catch-up
 * reports "caught up" short of its `until` and the join goes ahead: the table's changes in between are
 * lost. Seen: app.users rows updated in that window kept their old values; appliedLsn 0/1C115F8 < until 0/1C71750.
 * Or the catch-up never gets past the transaction: retried over and over (a CREATE TRIGGER refusal logged
 * per attempt), the copy stays 'catching-up' with status.lastError null.
 */

interface DumpBlock {
  name: string;
  type: string;
  sql: string;
}

/** pg_dump 15, or a failure saying how to install it: this test never skips. */
function pgDump15(): string {
  const v = existsSync(PG_DUMP) ? spawnSync(PG_DUMP, ['--version'], { encoding: 'utf8' }) : undefined;
  if (v?.status === 0 && /\(PostgreSQL\) 15\./.test(v.stdout)) return PG_DUMP;
  throw new Error(`pg_dump 15 not found at ${PG_DUMP}: install the PostgreSQL 15 client tools (Debian 12: apt-get install postgresql-client-15)`);
}

/** `pg_dump -s` of schema app, cut into objects; comments, SET lines and blank lines left out. */
function dumpBlocks(cluster: PgCluster): DumpBlock[] {
  const r = spawnSync(PG_DUMP, ['-s', '--no-owner', '--no-privileges', '-n', 'app', '-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres', 'postgres'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `pg_dump failed: ${r.stderr}`);
  const blocks: DumpBlock[] = [];
  let current: DumpBlock | undefined;
  for (const line of r.stdout.split('\n')) {
    const header = /^-- (?:Data for )?Name: (.*); Type: ([^;]+); Schema: /.exec(line);
    if (header) {
      current = { name: header[1], type: header[2], sql: '' };
      blocks.push(current);
      continue;
    }
    // Comments (the dump's and the versions line), session settings, \restrict with its random key, blank lines.
    if (/^--/.test(line) || /^(SET |SELECT pg_catalog\.set_config)/.test(line) || /^\\(un)?restrict /.test(line) || line.trim() === '') continue;
    if (current) current.sql += `${line}\n`;
  }
  return blocks;
}

function normalized(blocks: DumpBlock[]): string {
  return blocks
    .map((b) => NORMALIZATIONS.reduce<DumpBlock | undefined>((kept, n) => kept && n.keep(kept), b))
    .flatMap((b) => (b ? [`-- ${b.type} ${b.name}\n${b.sql}`] : []))
    .join('');
}

/** A unified diff (diff -u) of two texts, for the failure message. */
function unifiedDiff(a: string, b: string): string {
  const r = spawnSync('bash', ['-c', 'diff -u --label source --label destination <(printf %s "$A") <(printf %s "$B")'], { env: { ...process.env, A: a, B: b }, encoding: 'utf8' });
  return r.stdout;
}

/** What the worker logged about DDL: `DDL replicated` / `DDL not replicated` (with the reason), with the statement. */
function ddlLog(worker: WorkerProcess, msg: 'DDL replicated' | 'DDL not replicated'): { reason: string; statement: string }[] {
  return worker.output().split('\n').flatMap((line) => {
    try {
      const e = JSON.parse(line) as { msg?: string; reason?: string; statement?: string };
      return e.msg === msg ? [{ reason: e.reason ?? '', statement: e.statement ?? '' }] : [];
    } catch {
      return [];
    }
  });
}

/**
 * A statement of the application's, retried when the server picked it as a deadlock victim: a migration
 * adding a foreign key locks both tables, and an INSERT checking the key waits on them in the other order.
 * Applications retry these; each statement runs alone, so a victim changed nothing.
 */
async function retryingDeadlock<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt >= 5) throw err;
    }
  }
}

/** The application's traffic: inserts, updates (keys, arrays, bytea, jsonb) and deletes on several tables. */
function applicationWrites(conn: PgClient): (n: number) => Promise<void> {
  const db = { query: (text: string, values?: unknown[]) => retryingDeadlock(() => conn.query(text, values)) };
  return async (n) => {
    const issue = await db.query(`INSERT INTO app.issues (project_id, author_id, title, body, labels, estimate) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [1 + (n % 60), 1 + (n % 200), `Live issue ${n}`, `written while migrating ${n}`, ['live', `n${n % 5}`], (n % 9) * 0.25]);
    await db.query(`UPDATE app.issues SET status = 'closed', labels = array_append(labels, 'done'), body = body || ' (closed)' WHERE id = $1`, [1 + ((n * 7) % 1500)]);
    await db.query(`INSERT INTO app.comments (issue_id, author_id, body, attachment, meta) VALUES ($1, $2, $3, $4, $5)`,
      [issue.rows[0].id, 1 + (n % 200), `live comment ${n}`, Buffer.from([n % 256, 0, 255, 10, 13]), { n, tags: ['a', n % 3] }]);
    // A key change (Rails never does this, data fixes do).
    await db.query(`UPDATE app.comments SET id = id + 100000 WHERE id = $1`, [1 + ((n * 13) % 3000)]);
    await db.query(`DELETE FROM app.comments WHERE id = $1`, [1 + ((n * 17) % 3000)]);
    await db.query(`UPDATE app.users SET last_seen_at = now(), name = name || '.' WHERE id = $1`, [1 + ((n * 3) % 200)]);
    await db.query(`UPDATE app.accounts SET settings = settings || jsonb_build_object('n', $1::int), balance = balance + 1.25 WHERE id = $2`, [n, 1 + (n % 20)]);
    if (n % 10 === 0) await db.query(`DELETE FROM app.issues WHERE id = $1`, [1 + ((n * 29) % 1500)]);
  };
}

describe('a realistic application schema through schema + full + incremental sync with its migrations', () => {
  let pg: ClusterPair;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;
  let worker: WorkerProcess;
  let writes: WriteLoop | undefined;
  const status = () => temporal.workflow.getHandle(TASK).query(statusQuery);
  const recopied = async (table: string, timeoutMs = 120_000): Promise<void> => {
    let last = '';
    await waitFor(`${table} copied again`, async () => {
      const s = await status();
      last = `recopies ${JSON.stringify(s.recopies)}, last error: ${s.lastError}`;
      const failed = (s.recopies ?? []).find((r) => r.state === 'failed');
      if (failed) throw new Error(`recopy failed: ${JSON.stringify(failed)}`);
      return (s.recopies ?? []).some((r) => r.table === table && r.state === 'done');
    }, timeoutMs, 500).catch((err: Error) => { throw new Error(`${err.message} (${last})`); });
  };
  /** Runs migrations one after another; `awaitCopies`: waits for each copy a step causes before the next. */
  const runSteps = async (db: PgClient, steps: ChurnStep[], awaitCopies: boolean): Promise<void> => {
    for (const step of steps) {
      await db.query(step.sql).catch((err: Error) => { throw new Error(`${step.what}: ${err.message}`); });
      if (step.recopies && awaitCopies) await recopied(step.recopies);
      if (awaitCopies) await new Promise((r) => setTimeout(r, 300));
    }
  };

  before(async () => {
    pgDump15();
    const start = async (): Promise<PgCluster> => {
      const c = await startCluster({ port: await freePort(), securePassword: TEST_PASSWORD, version: 15 });
      onCleanup(() => c.stop());
      return c;
    };
    pg = { source: await start(), destination: await start() };
    src = await pg.source.client();
    dst = await pg.destination.client();
    onCleanup(() => Promise.all([src.end(), dst.end()]));
    await src.query(APP_SCHEMA);
    temporal = await temporalClient();
    worker = startWorker(WORKER_ENV);
  });
  after(async () => {
    await writes?.stop().catch(() => undefined);
    await releaseAll();
  });

  it('schema + full sync: every table\'s rows', async () => {
    await temporal.workflow.start('syncTask', { taskQueue: 'pg-dts', workflowId: TASK, args: [clusterSpec(pg, TASK, { objects: [{ schema: 'app' }] })] });
    await waitFor('task streaming', async () => {
      const s = await status();
      if (s.phase === 'failed') throw new Error(`task failed: ${s.lastError}`);
      return s.phase === 'incremental';
    }, 180_000, 250);
    await waitForConvergence(src, dst, APP_TABLES, 30_000);
  });

  it('schema sync: the materialized view holds the source\'s rows (refreshed before the last issues were filed)', { todo: STALE_MATVIEW_TODO }, async () => {
    await waitForConvergence(src, dst, MATVIEWS, 5_000);
  });

  it('runs every listed DDL while rows flow; every table ends with the source\'s rows', async () => {
    const writer = await pg.source.client();
    onCleanup(() => writer.end());
    writes = startWriteLoop(applicationWrites(writer), 10);
    const migrator = await pg.source.client();
    onCleanup(() => migrator.end());
    await runSteps(migrator, CHURN, true);
    // Writes go on a little after the last migration, then stop.
    await new Promise((r) => setTimeout(r, 2000));
    const rounds = await writes.stop();
    writes = undefined;
    assert.ok(rounds > 20, `${rounds} rounds of writes`);

    await waitForConvergence(src, dst, APP_TABLES, 90_000);
    assert.equal((await status()).phase, 'incremental');
  });

  it('the materialized view holds what the source\'s REFRESH … CONCURRENTLY computed under writes', { todo: MATVIEW_TODO }, async () => {
    await waitForConvergence(src, dst, MATVIEWS, 10_000);
  });

  it('a REFRESH with the tables quiet gives the destination the source\'s materialized view', async () => {
    await src.query('REFRESH MATERIALIZED VIEW app.project_stats');
    await waitForConvergence(src, dst, MATVIEWS, 30_000);
  });

  it('pg_dump -s of the destination equals the source\'s, minus the listed normalizations', async () => {
    const source = normalized(dumpBlocks(pg.source));
    // Not a comparison of two empty dumps: the source's holds the schema and what the migrations made.
    for (const made of [/PARTITION BY RANGE \(created_at\)/, /CREATE AGGREGATE app\.all_labels/, /CREATE MATERIALIZED VIEW app\.project_stats/,
      /CREATE TRIGGER issues_search_update /, /CREATE TRIGGER comments_touch_issue /, /CONSTRAINT issues_title_length_check /,
      /ATTACH PARTITION app\.audit_log_\d{4}_\d{2} /, /CREATE INDEX idx_comments_author /, /'urgent'/, /i\.priority/, /setweight/]) {
      assert.match(source, made);
    }
    let destination = '';
    try {
      // The DDL travels in the stream with the rows, so it has arrived once the rows converged; a moment more costs nothing.
      await waitFor('pg_dump -s equal', async () => (destination = normalized(dumpBlocks(pg.destination))) === source, 20_000, 1000);
    } catch {
      assert.fail(`pg_dump -s of the destination differs from the source's:\n${unifiedDiff(source, destination)}`);
    }
  });

  it('replicates every migration; refuses nothing but the expected', async () => {
    const replicated = ddlLog(worker, 'DDL replicated').map((e) => e.statement);
    const missing = CHURN.filter((step) => !step.rowsOnly && !replicated.some((s) => step.sql.includes(s))).map((step) => step.what);
    assert.deepEqual(missing, [], `replicated: ${JSON.stringify([...new Set(replicated)], null, 1)}`);
    assert.ok(replicated.includes('REFRESH MATERIALIZED VIEW app.project_stats'));
    const unexpected = ddlLog(worker, 'DDL not replicated').filter((r) => !EXPECTED_REFUSALS.some((e) => e.reason === r.reason && e.statement.test(r.statement)));
    assert.deepEqual(unexpected, []);
    const ddl = (await status()).incremental?.ddl;
    const counted = Object.keys(ddl?.refusedBy ?? {}).filter((reason) => !EXPECTED_REFUSALS.some((e) => e.reason === reason));
    assert.deepEqual(counted, [], JSON.stringify(ddl?.recent.filter((e) => e.outcome !== 'applied')));
  });

  // Last: when it fails it leaves the destination unlike the source, and the assertions above would follow.
  it('migrations during a copy\'s hand-over: rows and objects end equal', async () => {
    const writer = await pg.source.client();
    onCleanup(() => writer.end());
    writes = startWriteLoop(applicationWrites(writer), 10);
    const refusedBefore = ddlLog(worker, 'DDL not replicated').length;
    const [first, ...during] = HAND_OVER;
    await runSteps(src, [first!], false);
    // The other migrations commit after the copy's snapshot, while its catch-up runs: inside the hand-over
    // (the catch-up of a small table can be over between two polls; the run then still checks the result).
    await waitFor('app.accounts being copied', async () =>
      (await status()).recopies?.some((r) => r.table === 'app.accounts' && ['catching-up', 'joining', 'done'].includes(r.state)), 60_000, 20);
    await runSteps(src, during, false);
    await new Promise((r) => setTimeout(r, 2000));
    await writes.stop();
    writes = undefined;
    await recopied('app.accounts', 60_000);
    await waitForConvergence(src, dst, APP_TABLES, 60_000);
    assert.equal(normalized(dumpBlocks(pg.destination)), normalized(dumpBlocks(pg.source)));
    assert.deepEqual(ddlLog(worker, 'DDL not replicated').slice(refusedBefore), []);
  });
});
