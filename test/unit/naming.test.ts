import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  additionNames, legacyTaskIdFromWorkflowId, originName, publicationName, slotName, taskIdFor, taskIdFromWorkflowId,
} from '../../src/spec/task-id';
import { parseLsn, formatLsn } from '../../src/util/lsn';
import { targetTableName } from '../../src/catalog/names';
import { parseTaskSpec } from '../../src/spec/validate';
import { replaceQualifiedName } from '../../src/schema/ddl';

describe('names', () => {
  it('derives slot-safe, collision-free task ids', () => {
    assert.equal(taskIdFromWorkflowId('orders_1'), 'orders_1');
    const a = taskIdFromWorkflowId('Orders-1');
    const b = taskIdFromWorkflowId('orders_1_');
    assert.match(a, /^orders_1__[0-9a-f]{8}$/);
    assert.notEqual(a, taskIdFromWorkflowId('orders.1'));
    assert.notEqual(a, b);
    const long = taskIdFromWorkflowId('x'.repeat(200));
    for (const name of [slotName(long), originName(long), publicationName(long), additionNames(long).slot, additionNames(long).origin]) {
      assert.ok(Buffer.byteLength(name) <= 63, name);
    }
  });

  it('never gives a hashed id that equals a verbatim one (cx-y and cx_y_c7623190 shared a slot)', () => {
    assert.equal(taskIdFromWorkflowId('cx-y'), 'cx_y__c7623190');
    assert.equal(taskIdFromWorkflowId('cx_y_c7623190'), 'cx_y_c7623190', 'a slot-safe id without "__" stays verbatim');
    assert.notEqual(taskIdFromWorkflowId('cx-y'), taskIdFromWorkflowId('cx_y_c7623190'));
    // An id that looks like a hashed one is hashed itself, so it cannot take another task's id either.
    assert.match(taskIdFromWorkflowId('cx_y__c7623190'), /^cx_y__c7623190__[0-9a-f]{8}$/);
    assert.match(taskIdFromWorkflowId('a__b'), /^a__b__[0-9a-f]{8}$/);
  });

  it('derives no addition name equal to any task\'s main name (releasing tb dropped the slot of tb_add)', () => {
    assert.notEqual(additionNames('tb').slot, slotName(taskIdFromWorkflowId('tb_add')));
    assert.notEqual(additionNames('tb').origin, originName(taskIdFromWorkflowId('tb_add')));
    assert.equal(additionNames('tb').slot, 'dts_sync_tb__add');
    // Many workflow ids, made of the characters that matter (separators, "_", case, "add"): the main names
    // are one per id, and no derived name is any id's main name.
    const alphabet = ['a', 'b', '_', '-', '.', 'A', '1', '_add', '__', 'c7623190'];
    let seed = 7;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const workflowIds = new Set<string>(['tb', 'tb_add', 'tb__add', 'tb-add', 'x', 'x_add', 'x__add', 'cx-y', 'cx_y_c7623190']);
    while (workflowIds.size < 5000) {
      let id = '';
      for (let n = 1 + Math.floor(random() * 6); n > 0; n--) id += alphabet[Math.floor(random() * alphabet.length)];
      workflowIds.add(id);
    }
    const ids = new Map<string, string>();
    for (const w of workflowIds) {
      const id = taskIdFromWorkflowId(w);
      assert.match(id, /^[a-z0-9_]{1,40}$/);
      assert.equal(ids.get(id) ?? w, w, `${w} and ${ids.get(id)} share task id ${id}`);
      ids.set(id, w);
    }
    const mainSlots = new Set([...ids.keys()].map(slotName));
    const mainOrigins = new Set([...ids.keys()].map(originName));
    for (const id of ids.keys()) {
      assert.ok(!mainSlots.has(additionNames(id).slot), `addition slot of ${id} is a task's main slot`);
      assert.ok(!mainOrigins.has(additionNames(id).origin), `addition origin of ${id} is a task's main origin`);
    }
  });

  it('gives names that differ only in what the id cleans (separators, case) distinct task ids', () => {
    const ids = ['a_b', 'a-b', 'A_B', 'A-B', 'a.b', 'a_B'].map(taskIdFromWorkflowId);
    assert.equal(ids[0], 'a_b', 'a slot-safe name is its own id');
    assert.equal(new Set(ids).size, ids.length, ids.join());
    for (const id of ids.slice(1)) assert.match(id, /^a_b__[0-9a-f]{8}$/);
  });

  it('keeps the ids and names of tasks started before (naming v1)', () => {
    assert.equal(legacyTaskIdFromWorkflowId('cx-y'), 'cx_y_c7623190');
    assert.equal(legacyTaskIdFromWorkflowId('Orders-1'), 'orders_1_9a347366');
    assert.equal(legacyTaskIdFromWorkflowId('a__b'), 'a__b');
    assert.equal(taskIdFor('Orders-1', 'v1'), 'orders_1_9a347366');
    assert.equal(taskIdFor('Orders-1', 'v2'), 'orders_1__9a347366');
    assert.deepEqual(additionNames('tb', 'v1'), { slot: 'dts_sync_tb_add', origin: 'dts_origin_tb_add' });
    // Verbatim ids without "__" are the same under both: a running task's slot keeps its name.
    for (const w of ['orders_1', 'tb', 'tb_add', 'modify_objects', 'x'.repeat(40)]) assert.equal(taskIdFor(w, 'v2'), taskIdFor(w, 'v1'));
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
