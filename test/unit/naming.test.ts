import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { taskIdFromWorkflowId, slotName } from '../../src/spec/task-id';
import { parseLsn, formatLsn } from '../../src/util/lsn';
import { targetTableName } from '../../src/catalog/names';
import { parseTaskSpec } from '../../src/spec/validate';
import { replaceQualifiedName } from '../../src/schema/ddl';

describe('names', () => {
  it('derives slot-safe, collision-free task ids', () => {
    assert.equal(taskIdFromWorkflowId('orders_1'), 'orders_1');
    const a = taskIdFromWorkflowId('Orders-1');
    const b = taskIdFromWorkflowId('orders_1_');
    assert.match(a, /^orders_1_[0-9a-f]{8}$/);
    assert.notEqual(a, taskIdFromWorkflowId('orders.1'));
    assert.notEqual(a, b);
    const long = taskIdFromWorkflowId('x'.repeat(200));
    assert.ok(slotName(long).length <= 63);
  });

  it('compares LSNs numerically, not as strings', () => {
    assert.ok(parseLsn('0/A0000000') > parseLsn('0/9FFFFFFF'));
    assert.ok(parseLsn('1/0') > parseLsn('0/FFFFFFFF'));
    assert.equal(formatLsn(parseLsn('00000001/0000ABCD')), '1/ABCD');
  });

  it('maps names by rename first, then by the case policy', () => {
    const spec = parseTaskSpec({
      name: 't', source: { url: 'postgresql://a@h/d' }, destination: { url: 'postgresql://a@h/d' },
      objects: [{ schema: 'Sales', rename: 'sales_copy', tables: [{ name: 'Orders', rename: 'orders_v2' }, 'Lines'] }],
    });
    assert.deepEqual(targetTableName(spec, { schema: 'Sales', name: 'Orders' }), { schema: 'sales_copy', name: 'orders_v2' });
    assert.deepEqual(targetTableName(spec, { schema: 'Sales', name: 'Lines' }), { schema: 'sales_copy', name: 'lines' });
    const keep = { ...spec, nameCase: 'source' as const, objects: [{ schema: 'Sales' }] };
    assert.deepEqual(targetTableName(keep, { schema: 'Sales', name: 'Lines' }), { schema: 'Sales', name: 'Lines' });
  });

  it('replaces a qualified name only where it stands whole', () => {
    const sql = `nextval('public.t_id_seq'::regclass) + public.t_id_seq2 + xpublic.t_id_seq`;
    assert.equal(replaceQualifiedName(sql, 'public.t_id_seq', 'app.t_id_seq'), `nextval('app.t_id_seq'::regclass) + public.t_id_seq2 + xpublic.t_id_seq`);
  });
});
