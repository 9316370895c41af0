// The re-check rule of `pg-dts verify` on real servers, engine level (no Temporal): the stream is played
// by the test — each wait for "applied past L" applies what the source has to the destination, and may
// write the source again meanwhile — so every case is deterministic: a destination that only lags is
// equal, a range written during every comparison is judged key by key (no false report, the real
// difference in it still found), a task that does not stream is compared once, a stream that never
// catches up leaves the range unsettled.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client as PgClient } from 'pg';
import { verifyRange, type RangeDeps } from '../../src/verify/engine';
import { prepareSession } from '../../src/verify/sql';
import { verifySettings, type VerifyTable } from '../../src/verify/types';
import { RateLimiter } from '../../src/util/rate-limiter';
import { openClusterSessions, type ClusterSessions } from '../harness/clusters';

const table: VerifyTable = {
  key: 'vr.t',
  table: { source: { schema: 'vr', name: 't' }, target: { schema: 'vr', name: 't' } },
  sourceColumns: ['id', 'v'], targetColumns: ['id', 'v'],
  sourceKey: [{ name: 'id', type: 'integer' }], targetKey: [{ name: 'id', type: 'integer' }],
  ranges: [{ lo: null, hi: ['50'] }, { lo: ['50'], hi: null }],
  estimatedRows: 100,
};

describe('verify: the re-check rule against real servers', () => {
  let fx: ClusterSessions;
  let src: PgClient; // the engine's read-only sessions
  let dst: PgClient;
  let srcWrite: PgClient;
  let dstWrite: PgClient;

  /** The "stream": the destination takes the source's rows, except keys the test corrupted. */
  const applyAll = async (except: number[] = []): Promise<void> => {
    const { rows } = await srcWrite.query<{ id: number; v: string | null }>('SELECT id, v FROM vr.t');
    await dstWrite.query('DELETE FROM vr.t WHERE NOT (id = ANY ($1::int[]))', [except]);
    for (const r of rows) if (!except.includes(r.id)) await dstWrite.query('INSERT INTO vr.t VALUES ($1, $2)', [r.id, r.v]);
  };
  const deps = (waitApplied: RangeDeps['waitApplied'], mode: 'checksum' | 'rows' = 'rows'): RangeDeps => ({
    source: src, destination: dst, waitApplied, limiter: new RateLimiter({}), settings: verifySettings({ task: 't', mode }),
  });

  before(async () => {
    fx = await openClusterSessions();
    for (const db of [fx.src, fx.dst]) await db.query(`CREATE SCHEMA vr; CREATE TABLE vr.t (id int PRIMARY KEY, v text)`);
    await fx.src.query(`INSERT INTO vr.t SELECT g, 'v' || g FROM generate_series(1, 100) g`);
    srcWrite = fx.src;
    dstWrite = fx.dst;
    src = await fx.pg.source.client();
    dst = await fx.pg.destination.client();
    await prepareSession(src);
    await prepareSession(dst);
  });
  after(async () => {
    await src?.end();
    await dst?.end();
    await fx?.close();
  });

  it('a destination that only lags is equal once the stream applied past the source read', async () => {
    await applyAll();
    await srcWrite.query(`UPDATE vr.t SET v = 'lagging' WHERE id = 60`);
    let waits = 0;
    const r = await verifyRange(deps(async () => (waits++, await applyAll(), true)), table, 1);
    assert.equal(r.equal, true, JSON.stringify(r));
    assert.ok(waits >= 1 && r.attempts >= 2, `re-checked after a wait (${waits} waits, ${r.attempts} attempts)`);
  });

  it('a range written during every comparison: the written key is left out, the real difference found', async () => {
    await applyAll();
    await dstWrite.query(`UPDATE vr.t SET v = NULL WHERE id = 77`); // real: the source has 'v77'
    let n = 0;
    const hotWrites = async (): Promise<boolean> => {
      await applyAll([77]);
      await srcWrite.query(`UPDATE vr.t SET v = 'hot ' || $1 WHERE id = 70`, [++n]); // lands before the second source read
      return true;
    };
    const rows = await verifyRange(deps(hotWrites), table, 1);
    assert.equal(rows.equal, false, JSON.stringify(rows));
    assert.ok(!rows.unsettled, JSON.stringify(rows));
    assert.deepEqual(rows.keys?.map((k) => [k.key[0], k.kind, k.source, k.destination]), [['77', 'different', '(77,v77)', '(77,)']]);
    const checksum = await verifyRange(deps(hotWrites, 'checksum'), table, 1);
    assert.equal(checksum.equal, false);
    assert.equal(checksum.keyCount, 1);

    await applyAll(); // the difference repaired: writes alone are never reported
    const clean = await verifyRange(deps(async () => (await applyAll(), await srcWrite.query(`UPDATE vr.t SET v = 'hot ' || $1 WHERE id = 70`, [++n]), true)), table, 1);
    assert.equal(clean.equal, true, JSON.stringify(clean));
  });

  it('missing and extra rows and NULL vs empty string in another range', async () => {
    await srcWrite.query(`UPDATE vr.t SET v = '' WHERE id = 3`);
    await applyAll();
    await dstWrite.query(`DELETE FROM vr.t WHERE id = 1; INSERT INTO vr.t VALUES (0, 'extra'); UPDATE vr.t SET v = NULL WHERE id = 3`);
    const r = await verifyRange(deps(async () => true), table, 0);
    assert.deepEqual(r.keys?.map((k) => [k.key[0], k.kind]), [['0', 'extra'], ['1', 'missing'], ['3', 'different']]);
  });

  it('a task that does not stream is compared once; a stream that never catches up leaves the range unsettled', async () => {
    await applyAll();
    await dstWrite.query(`UPDATE vr.t SET v = 'changed' WHERE id = 10`);
    const once = await verifyRange(deps(null), table, 0);
    assert.equal(once.attempts, 1);
    assert.deepEqual(once.keys?.map((k) => k.key[0]), ['10']);
    const stuck = await verifyRange(deps(async () => false), table, 0);
    assert.equal(stuck.unsettled, true, JSON.stringify(stuck));
  });
});
