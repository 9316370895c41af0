// A task started again after failing before its copy completed: tables it created itself (recorded in
// _pg_dts.created_objects) are not conflicts; anyone else's still are.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dropLeftovers, recordCreated } from '../../src/schema/created-objects';
import { input, ref, result } from './precheck-fixture';

describe('conflicting-tables and an earlier run\'s leftovers', () => {
  it('tables this task created are not conflicts, and the message says they are created again', () => {
    const r = result(input({ destination: { existingTargets: [ref('shop', 'customers'), ref('shop', 'orders')], ownLeftovers: [ref('shop', 'customers'), ref('shop', 'orders')] } }), 'conflicting-tables');
    assert.equal(r.passed, true);
    assert.equal(r.message, 'no selected table already exists on the destination; left by an earlier run of this task, dropped and created again by schema sync: shop.customers, shop.orders');
  });

  it('a table someone else made is still a conflict, named alone', () => {
    const r = result(input({ destination: { existingTargets: [ref('shop', 'customers'), ref('shop', 'orders')], ownLeftovers: [ref('shop', 'orders')] } }), 'conflicting-tables');
    assert.equal(r.passed, false);
    assert.match(r.message, /^already on the destination: shop\.customers; left by an earlier run of this task, dropped and created again by schema sync: shop\.orders$/);
  });

  it('a leftover record of a table that no longer exists changes nothing', () => {
    const r = result(input({ destination: { existingTargets: [], ownLeftovers: [] } }), 'conflicting-tables');
    assert.equal(r.message, 'no selected table already exists on the destination');
  });

  it('records only what this transaction created, under the task and its workflow', () => {
    const [tables, extensions] = recordCreated("t'1", { namespace: 'default', workflowId: 'wf' }, [ref('shop', 'orders')]);
    assert.match(tables!, /'t''1', 'default', 'wf', 'table'/);
    assert.match(tables!, /ARRAY\['shop'\]::text\[\], ARRAY\['orders'\]::text\[\]/);
    assert.match(tables!, /WHERE c\.xmin::text = \(txid_current\(\) % 4294967296\)::text/);
    assert.match(extensions!, /FROM pg_extension e .* WHERE e\.xmin::text =/s);
  });

  it('drops the leftovers in one statement and forgets their records', () => {
    assert.deepEqual(dropLeftovers('t1', []), []);
    const [drop, forget] = dropLeftovers('t1', [ref('shop', 'orders'), ref('Shop', 'Line Items')]);
    assert.equal(drop, 'DROP TABLE IF EXISTS "shop"."orders", "Shop"."Line Items"');
    assert.match(forget!, /DELETE FROM _pg_dts\.created_objects WHERE task_id = 't1' AND kind = 'table'/);
  });
});
