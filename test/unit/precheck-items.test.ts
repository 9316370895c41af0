import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCheckItems, type CheckInput } from '../../src/precheck/items';

const healthy: CheckInput = {
  syncTypes: ['schema', 'full', 'incremental'],
  conflictingTables: 'precheck',
  selectedCount: 2,
  missing: [],
  source: { versionNum: 170000, walLevel: 'logical', isSuperuser: false, canReplicate: true, freeSlots: 3, freeWalSenders: 3, tablesWithoutKey: [] },
  destination: { versionNum: 170000, canUseOrigins: true, existingTargets: [] },
};

const failed = (input: CheckInput) => runCheckItems(input).filter((r) => !r.passed);

describe('precheck items', () => {
  it('pass on a healthy setup', () => {
    assert.deepEqual(failed(healthy), []);
  });

  it('fail on wal_level, keyless tables and conflicting tables, naming objects and the fix', () => {
    const r = failed({
      ...healthy,
      source: { ...healthy.source, walLevel: 'replica', tablesWithoutKey: [{ schema: 'public', name: 'events' }] },
      destination: { ...healthy.destination, existingTargets: [{ schema: 'public', name: 'orders' }] },
    });
    assert.deepEqual(r.map((x) => x.id).sort(), ['conflicting-tables', 'primary-key', 'source-wal-level']);
    assert.match(r.find((x) => x.id === 'primary-key')!.message, /public\.events/);
    assert.match(r.find((x) => x.id === 'conflicting-tables')!.message, /public\.orders/);
    assert.ok(r.every((x) => x.fix));
  });

  it('skip replication checks without incremental sync, and accept conflicts in ignore mode', () => {
    const r = failed({
      ...healthy, syncTypes: ['schema', 'full'], conflictingTables: 'ignore',
      source: { ...healthy.source, walLevel: 'replica', tablesWithoutKey: [{ schema: 'public', name: 'events' }] },
      destination: { ...healthy.destination, existingTargets: [{ schema: 'public', name: 'orders' }] },
    });
    assert.deepEqual(r, []);
  });

  it('warn (not fail) when the destination is older', () => {
    const [w] = failed({ ...healthy, destination: { ...healthy.destination, versionNum: 150000 } });
    assert.equal(w.id, 'destination-version');
    assert.equal(w.level, 'warn');
  });
});
