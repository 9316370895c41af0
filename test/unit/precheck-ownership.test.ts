// The task-id-unique item over hand-made ownership facts: a task whose names another workflow owns (another
// namespace, a colliding id) or that exist with no recorded owner is refused; its own names pass.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckInput } from '../../src/precheck/items';
import { allTaskObjects, conflictsOf, type OwnershipFacts, type OwnerRecord } from '../../src/stream/ownership';
import { input, result } from './precheck-fixture';

const ME = { namespace: 'default', workflowId: 'orders' };
const registry = { exists: true, usable: true, ownerRole: 'repl', schemaExists: true };

function facts(side: 'source' | 'destination', set: { present?: string[]; owners?: Record<string, OwnerRecord> } = {}): OwnershipFacts {
  const objects = allTaskObjects('orders', 'v2', true)[side];
  return {
    user: 'repl', registry,
    objects: objects.map((object) => ({
      object, present: (set.present ?? []).includes(object.name), owner: set.owners?.[object.name] ?? null,
    })),
  };
}

function withOwnership(source: OwnershipFacts, destination: OwnershipFacts, owner = ME): CheckInput {
  const i = input();
  return { ...i, source: { ...i.source, ownership: source }, destination: { ...i.destination, ownership: destination }, task: { taskId: 'orders', owner } };
}

describe('precheck item task-id-unique', () => {
  it('is left out when the precheck does not know the task', () => {
    assert.throws(() => result(input(), 'task-id-unique'), /not in the report/);
  });

  it('passes when the names are free, or recorded as this workflow\'s own', () => {
    assert.equal(result(withOwnership(facts('source'), facts('destination')), 'task-id-unique').passed, true);
    const mine = { ...ME, taskId: 'orders' };
    const own = withOwnership(
      facts('source', { present: ['dts_sync_orders', 'dts_pub_orders'], owners: { dts_sync_orders: mine, dts_pub_orders: mine } }),
      facts('destination', { present: ['dts_origin_orders'], owners: { dts_origin_orders: mine } }),
    );
    assert.equal(result(own, 'task-id-unique').passed, true);
  });

  it('refuses the same workflow id in another namespace, naming the owner', () => {
    const other = { namespace: 'default', workflowId: 'orders', taskId: 'orders' };
    const r = result(withOwnership(facts('source', { present: ['dts_sync_orders'], owners: { dts_sync_orders: other } }), facts('destination'),
      { namespace: 'team-b', workflowId: 'orders' }), 'task-id-unique');
    assert.equal(r.passed, false);
    assert.equal(r.level, 'fail');
    assert.match(r.message, /task id orders is in use by another task: on the source, slot dts_sync_orders belongs to workflow "orders" in namespace "default"/);
    assert.match(r.fix!, /another workflow id/);
  });

  it('refuses names that exist with no recorded owner, and a registry this user may not use', () => {
    const r = result(withOwnership(facts('source'), facts('destination', { present: ['dts_origin_orders'] })), 'task-id-unique');
    assert.equal(r.passed, false);
    assert.match(r.message, /replication origin dts_origin_orders exists but no task is recorded as its owner/);
    const locked = { ...facts('source'), registry: { ...registry, usable: false, ownerRole: 'admin' } };
    const r2 = result(withOwnership(locked, facts('destination')), 'task-id-unique');
    assert.equal(r2.passed, false);
    assert.match(r2.message, /cannot be checked: on the source, the ownership registry _pg_dts.owners belongs to role admin/);
  });

  it('conflictsOf: only another owner, or an unrecorded object that may not be adopted, is a conflict', () => {
    const object = { kind: 'slot' as const, name: 's' };
    assert.deepEqual(conflictsOf([{ object, present: false, owner: null }], ME), []);
    assert.equal(conflictsOf([{ object, present: true, owner: null }], ME).length, 1);
    assert.deepEqual(conflictsOf([{ object, present: true, owner: null }], ME, () => true), []);
    assert.equal(conflictsOf([{ object, present: false, owner: { ...ME, workflowId: 'x', taskId: 'x' } }], ME).length, 1);
    assert.equal(conflictsOf([{ object, present: true, owner: { ...ME, taskId: 'orders' } }], null).length, 1, 'an unknown owner owns nothing');
  });
});
