// Precheck items over hand-made facts: selection, versions, encodings, replication resources, privileges.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCheckItems } from '../../src/precheck/items';
import { failedIds, input, result, table } from './precheck-fixture';

describe('precheck items: a healthy task', () => {
  it('passes every item, and every item has a message', () => {
    const results = runCheckItems(input());
    assert.deepEqual(results.filter((r) => !r.passed), []);
    assert.ok(results.length >= 30, `${results.length} items`);
    assert.ok(results.every((r) => r.message.length > 0 && /^[a-z]+(-[a-z]+)*$/.test(r.id)));
  });

  it('leaves replication items out without incremental sync, and source reads out without full sync', () => {
    const ids = runCheckItems(input({ spec: { syncTypes: ['schema', 'full'] } })).map((r) => r.id);
    for (const id of ['source-wal-level', 'primary-key', 'slot-failover', 'destination-origin-privilege', 'replica-identity']) assert.ok(!ids.includes(id), id);
    assert.ok(ids.includes('source-select-privilege'));
    const noFull = runCheckItems(input({ spec: { syncTypes: ['schema', 'incremental'] } })).map((r) => r.id);
    assert.ok(!noFull.includes('source-select-privilege') && !noFull.includes('destination-space'));
  });
});

describe('precheck items: selection', () => {
  it('objects-exist names what is missing', () => {
    const r = result(input({ selection: { tables: [], missing: ['table shop.nope'] } }), 'objects-exist');
    assert.equal(r.passed, false);
    assert.match(r.message, /table shop\.nope/);
  });

  it('objects-not-empty fails on an empty selection', () => {
    assert.equal(result(input({ selection: { tables: [], missing: [] } }), 'objects-not-empty').passed, false);
  });
});

describe('precheck items: versions and encodings', () => {
  it('source-version fails below 10', () => {
    const r = result(input({ source: { versionNum: 90624 } }), 'source-version');
    assert.deepEqual([r.passed, r.level], [false, 'fail']);
    assert.match(r.message, /PostgreSQL 9/);
  });

  it('source-truncate warns on a PostgreSQL 10 source with incremental sync, unless no table applies truncate', () => {
    const r = result(input({ source: { versionNum: 100023 } }), 'source-truncate');
    assert.deepEqual([r.passed, r.level], [false, 'warn']);
    assert.match(r.message, /shop\.orders/);
    const noTruncate = input({ source: { versionNum: 100023 }, spec: { objects: [{ schema: 'shop', dml: ['insert', 'update', 'delete'] }] } });
    assert.equal(result(noTruncate, 'source-truncate').passed, true);
    assert.equal(result(input({ source: { versionNum: 110000 } }), 'source-truncate').passed, true);
  });

  it('destination-version warns (not fails) when the destination is older', () => {
    const r = result(input({ destination: { versionNum: 150004 } }), 'destination-version');
    assert.deepEqual([r.passed, r.level], [false, 'warn']);
    assert.match(r.message, /15 is older than source 17/);
  });

  it('encoding passes for equal encodings and for anything but SQL_ASCII into UTF8; fails otherwise', () => {
    const enc = (s: string, d: string) => result(input({ source: { encoding: s }, destination: { encoding: d } }), 'encoding').passed;
    assert.equal(enc('LATIN1', 'LATIN1'), true);
    assert.equal(enc('LATIN1', 'UTF8'), true);
    assert.equal(enc('SQL_ASCII', 'SQL_ASCII'), true);
    assert.equal(enc('SQL_ASCII', 'UTF8'), false);
    assert.equal(enc('UTF8', 'LATIN1'), false);
    assert.equal(enc('UTF8', 'SQL_ASCII'), false);
    assert.match(result(input({ source: { encoding: 'SQL_ASCII' } }), 'encoding').fix!, /SQL_ASCII/);
  });
});

describe('precheck items: replication resources', () => {
  it('source-wal-level, slots and walsenders fail when missing', () => {
    assert.deepEqual(failedIds(input({ source: { walLevel: 'replica', freeSlots: 0, freeWalSenders: 0 } })).sort(),
      ['source-replication-slots', 'source-wal-level', 'source-wal-senders']);
  });

  it('slot-failover passes without standbys, warns before 17 with one, and on 17 without synchronized_standby_slots', () => {
    assert.equal(result(input({ source: { standbys: 0, synchronizedStandbySlots: null, versionNum: 160000 } }), 'slot-failover').passed, true);
    const old = result(input({ source: { standbys: 1, synchronizedStandbySlots: null, versionNum: 160000 } }), 'slot-failover');
    assert.deepEqual([old.passed, old.level], [false, 'warn']);
    assert.match(old.message, /PostgreSQL 16 cannot keep a logical slot/);
    const unsynced = result(input({ source: { standbys: 2, synchronizedStandbySlots: '' } }), 'slot-failover');
    assert.equal(unsynced.passed, false);
    assert.match(unsynced.fix!, /synchronized_standby_slots/);
    assert.equal(result(input({ source: { standbys: 1, synchronizedStandbySlots: 'standby1' } }), 'slot-failover').passed, true);
  });

  it('long-transactions warns naming pid and age, never query text', () => {
    const r = result(input({
      source: {
        longTransactions: [
          { pid: 4242, ageSeconds: 930, database: 'app', user: 'batch', state: 'idle in transaction' },
          { pid: null, ageSeconds: 7200, database: 'app', user: 'admin', state: 'prepared gid1' },
        ],
      },
    }), 'long-transactions');
    assert.deepEqual([r.passed, r.level], [false, 'warn']);
    assert.match(r.message, /pid 4242 \(idle in transaction\) 16 min in app by batch/);
    assert.match(r.message, /prepared gid1 2\.0 h/);
    assert.match(r.fix!, /pg_terminate_backend/);
    assert.match(result(input({ source: { seesAllSessions: false } }), 'long-transactions').message, /pg_read_all_stats/);
  });
});

describe('precheck items: privileges', () => {
  it('source: replication, CREATE on the database, ownership and SELECT, naming the tables', () => {
    const i = input({
      source: {
        canReplicate: false, canCreateInDatabase: false,
        tables: [table('shop', 'orders', { owned: false, canSelect: false }), table('shop', 'customers')],
      },
    });
    assert.deepEqual(failedIds(i).sort(), ['source-create-privilege', 'source-replication-privilege', 'source-select-privilege', 'source-table-ownership']);
    assert.match(result(i, 'source-table-ownership').message, /does not own shop\.orders:/);
    assert.match(result(i, 'source-select-privilege').message, /shop\.orders/);
    assert.match(result(i, 'source-replication-privilege').fix!, /ALTER ROLE repl REPLICATION/);
    assert.match(result(i, 'source-create-privilege').fix!, /GRANT CREATE ON DATABASE app TO repl/);
  });

  it('destination-create-privilege: database CREATE for missing schemas, schema CREATE for existing ones', () => {
    const missingDb = result(input({ destination: { canCreateInDatabase: false } }), 'destination-create-privilege');
    assert.equal(missingDb.passed, false);
    assert.match(missingDb.message, /may not create schemas shop, _pg_dts/);
    const existing = result(input({
      destination: { schemas: [{ name: 'shop', exists: true, canCreate: false }, { name: '_pg_dts', exists: true, canCreate: true }], canCreateInDatabase: false },
    }), 'destination-create-privilege');
    assert.equal(existing.passed, false);
    assert.match(existing.message, /objects in schemas shop \(/);
    const ok = input({ destination: { schemas: [{ name: 'shop', exists: true, canCreate: true }, { name: '_pg_dts', exists: true, canCreate: true }], canCreateInDatabase: false } });
    assert.equal(result(ok, 'destination-create-privilege').passed, true);
  });

  it('destination-origin-privilege lists the functions; the fix depends on the version', () => {
    const r = result(input({ destination: { missingOriginFunctions: ['pg_replication_origin_create(text)'] } }), 'destination-origin-privilege');
    assert.equal(r.passed, false);
    assert.match(r.fix!, /GRANT EXECUTE ON FUNCTION pg_replication_origin_create\(text\) TO writer/);
    const old = result(input({ destination: { versionNum: 130000, missingOriginFunctions: ['pg_replication_origin_create(text)'] } }), 'destination-origin-privilege');
    assert.match(old.fix!, /superuser/);
  });

  it('destination-replication-role: GRANT SET ON PARAMETER from 15, superuser before', () => {
    const r = result(input({ destination: { canSetReplicationRole: false } }), 'destination-replication-role');
    assert.equal(r.passed, false);
    assert.match(r.fix!, /GRANT SET ON PARAMETER session_replication_role TO writer/);
    assert.match(result(input({ destination: { canSetReplicationRole: false, versionNum: 140000 } }), 'destination-replication-role').fix!, /superuser/);
  });
});
