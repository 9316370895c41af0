// `pg-dts verify` end to end through Temporal on real clusters: a streaming task with a mapped table
// (renamed table and column, an excluded column, a row filter) and a plain one, under a write loop. The
// verification reports nothing while rows flow; then differences injected on the destination (replica
// role, on rows the loop never touches) are each reported with table, key and both sides' rows, exit 1.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import type { VerifyReport } from '../../src/verify/types';
import { verifyStatusQuery } from '../../workflows/verify-messages';
import { waitFor } from '../harness/checksum';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';
import { WORKER_ENV } from '../harness/sample-fixture';
import { clusterSpec, startTask } from '../harness/task-spec-file';
import { startWorker, temporalAddress, temporalClient, temporalCli } from '../harness/temporal';
import { startWriteLoop, type WriteLoop } from '../harness/write-loop';
import { statusQuery } from '../../workflows/messages';

const TASK = 'verify-e2e';
const FILTER = 'age >= 18';

/** The pg-dts CLI without blocking this process (the write loop keeps running meanwhile). */
function pgDtsAsync(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'pg-dts.js'), ...args], {
      env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress() },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

describe('pg-dts verify', () => {
  let fx: ClusterSessions;
  let src: PgClient;
  let dst: PgClient;
  let temporal: Client;
  let loop: WriteLoop | undefined;

  before(async () => {
    fx = await openClusterSessions();
    ({ src, dst } = fx);
    await src.query(`
      CREATE SCHEMA vt;
      CREATE TABLE vt."People" (id int PRIMARY KEY, "FullName" text NOT NULL, secret text, age int NOT NULL, score float8);
      INSERT INTO vt."People" SELECT g, 'Person ' || g, 's' || g, g % 90, g / 3.0 FROM generate_series(1, 2000) g;
      CREATE TABLE vt.plain (id bigint PRIMARY KEY, body text NOT NULL, v float8, note text, at timestamptz DEFAULT now());
      INSERT INTO vt.plain SELECT g, 'body ' || g, g * 0.5, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END, now() FROM generate_series(1, 2000) g;
      UPDATE vt.plain SET note = '' WHERE id = 1502;
      UPDATE vt.plain SET v = 0 WHERE id = 1503;
      ANALYZE vt."People", vt.plain;`);
    startWorker(WORKER_ENV);
    temporal = await temporalClient();
    startTask(clusterSpec(fx.pg, TASK, {
      objects: [{ schema: 'vt', tables: [
        { name: 'People', columns: { FullName: 'full_name' }, excludeColumns: ['secret'], where: FILTER },
        'plain',
      ] }],
    }));
    await waitFor('task streaming', async () => {
      const s = await temporal.workflow.getHandle(TASK).query(statusQuery);
      return s.phase === 'incremental' && s.incremental !== null;
    }, 180_000, 500);
    // Writes on ids 1..100 (updates, rows moving in and out of the filter) and new rows above 100 000:
    // never the rows differences are injected into below (1500..1700).
    loop = startWriteLoop(async (n) => {
      const id = (n % 100) + 1;
      await src.query(`UPDATE vt."People" SET age = CASE WHEN age >= 18 THEN 10 ELSE 40 END, score = score + 1, secret = 'x' || $1 WHERE id = $2`, [n, id]);
      await src.query(`UPDATE vt.plain SET body = 'loop ' || $1, v = v + 0.25, note = NULL WHERE id = $2`, [n, id]);
      await src.query(`INSERT INTO vt.plain (id, body, v) VALUES ($1, 'new', -0.0)`, [100_000 + n]);
    }, 20);
  });
  after(async () => {
    await loop?.stop();
    await fx?.close();
  });

  it('reports nothing while the task streams under writes, through the CLI and the temporal CLI', async () => {
    const run = await pgDtsAsync(['verify', TASK, '--json', '--range-rows', '400']);
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const report = JSON.parse(run.stdout) as VerifyReport;
    assert.equal(report.state, 'done');
    assert.equal(report.streaming, true);
    assert.equal(report.differences, 0, run.stdout);
    assert.equal(report.unsettled, 0, run.stdout);
    const people = report.tables.find((t) => t.table === 'vt.People')!;
    assert.equal(people.target, 'vt.people', 'name case applied');
    assert.ok(people.ranges >= 3, `people compared in ${people.ranges} ranges`);
    assert.ok(people.sourceRows > 1000 && people.sourceRows < 2000, `filtered rows compared: ${people.sourceRows}`);
    const plain = report.tables.find((t) => t.table === 'vt.plain')!;
    assert.ok(plain.sourceRows >= 2000, `${plain.sourceRows}`);

    // The workflow type is startable with the temporal CLI too, and its status query is the report.
    const id = `${TASK}-verify-by-cli`;
    const started = temporalCli(['workflow', 'execute', '--type', 'verifyTask', '--task-queue', 'pg-dts', '--workflow-id', id,
      '--input', JSON.stringify({ task: TASK, mode: 'count' })]);
    assert.equal(started.status, 0, started.stderr + started.stdout);
    const status = await temporal.workflow.getHandle(id).query(verifyStatusQuery);
    assert.equal(status.mode, 'count');
    assert.equal(status.state, 'done');
    assert.equal(status.differences, 0, JSON.stringify(status));
  });

  it('reports each injected difference with its table, key and both sides, exit code 1', async () => {
    await dst.query(`
      BEGIN;
      SET LOCAL session_replication_role = replica;
      UPDATE vt.plain SET body = 'body 150O' WHERE id = 1500;          -- one changed byte
      DELETE FROM vt.plain WHERE id = 1501;                            -- a missing row
      INSERT INTO vt.plain (id, body, v) VALUES (1999999, 'extra', 1); -- an extra row
      UPDATE vt.plain SET note = NULL WHERE id = 1502;                 -- NULL where the source has ''
      UPDATE vt.plain SET v = '-0' WHERE id = 1503;                    -- -0 where the source has 0
      UPDATE vt.people SET full_name = 'Person 16O0' WHERE id = 1600;  -- renamed column, mapped table
      INSERT INTO vt.people (id, full_name, age, score) VALUES (1710, 'Person 1710', 10, 1); -- 1710 % 90 = 0: filtered out on the source
      COMMIT;`);
    const run = await pgDtsAsync(['verify', TASK, '--mode', 'rows', '--json', '--range-rows', '400']);
    assert.equal(run.status, 1, `${run.stdout}\n${run.stderr}`);
    const report = JSON.parse(run.stdout) as VerifyReport;
    const keysOf = (table: string) => new Map(report.tables.find((t) => t.table === table)!.differingKeys.map((k) => [k.key.join(','), k]));
    const plain = keysOf('vt.plain');
    assert.deepEqual([...plain.keys()].sort(), ['1500', '1501', '1502', '1503', '1999999'], JSON.stringify(report, null, 2));
    assert.equal(plain.get('1500')!.kind, 'different');
    assert.match(plain.get('1500')!.source!, /body 1500/);
    assert.match(plain.get('1500')!.destination!, /body 150O/);
    assert.equal(plain.get('1501')!.kind, 'missing');
    assert.equal(plain.get('1501')!.destination, null);
    assert.equal(plain.get('1999999')!.kind, 'extra');
    assert.equal(plain.get('1999999')!.source, null);
    assert.match(plain.get('1502')!.source!, /,"",/, 'the source has an empty string');
    assert.match(plain.get('1502')!.destination!, /,,/, 'the destination has NULL');
    assert.match(plain.get('1503')!.destination!, /,-0,/);
    assert.match(plain.get('1503')!.source!, /,0,/);
    const people = keysOf('vt.People');
    assert.deepEqual([...people.keys()].sort(), ['1600', '1710'], JSON.stringify(report, null, 2));
    assert.equal(people.get('1600')!.kind, 'different');
    assert.equal(people.get('1710')!.kind, 'extra');
    assert.doesNotMatch(people.get('1600')!.source!, /s1600/, 'the excluded column is not compared');

    // Checksum mode (the default) and the text report: the same tables, exit code 1.
    const text = await pgDtsAsync(['verify', TASK, '--range-rows', '400']);
    assert.equal(text.status, 1, `${text.stdout}\n${text.stderr}`);
    assert.match(text.stdout, /DIFFERS\s+vt\.plain/);
    assert.match(text.stdout, /DIFFERS\s+vt\.People/);
    assert.match(text.stdout, /2 table\(s\) differ/);

    // A released task is compared once (nothing streams): the same differences, the same keys.
    await loop!.stop();
    loop = undefined;
    const hot = async (db: PgClient, people: string): Promise<string> => (await db.query(
      `SELECT (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM vt.plain t WHERE id <= 100 OR id BETWEEN 100000 AND 1000000) ||
              (SELECT md5(string_agg(row(id, "FullName", age, score)::text, ',' ORDER BY id)) FROM ${people} t WHERE id <= 100) AS h`)).rows[0].h as string;
    await waitFor('the loop\'s last writes applied', async () => (await hot(src, `(SELECT id, "FullName", age, score FROM vt."People" WHERE ${FILTER})`)) ===
      (await hot(dst, '(SELECT id, full_name AS "FullName", age, score FROM vt.people)')), 60_000, 500);
    const released = await pgDtsAsync(['release', TASK]);
    assert.equal(released.status, 0, released.stderr);
    await temporal.workflow.getHandle(TASK).result();
    const after = await pgDtsAsync(['verify', TASK, '--mode', 'rows', '--json']);
    assert.equal(after.status, 1, `${after.stdout}\n${after.stderr}`);
    const finished = JSON.parse(after.stdout) as VerifyReport;
    assert.equal(finished.streaming, false);
    assert.equal(finished.taskPhase, 'released');
    const plainAfter = finished.tables.find((t) => t.table === 'vt.plain')!.differingKeys.map((k) => k.key[0]).sort();
    assert.deepEqual(plainAfter, ['1500', '1501', '1502', '1503', '1999999'], after.stdout);
  });
});
