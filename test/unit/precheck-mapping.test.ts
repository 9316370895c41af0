// Precheck items about the name mapping (computed with src/catalog/names.ts) and the destination side:
// collisions, unknown and key columns, same-name tables, tables that must exist, free space.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { targetTableName } from '../../src/catalog/names';
import { bytesText } from '../../src/precheck/items/destination';
import { SPACE_NOT_PROBED } from '../../src/precheck/facts/disk-space';
import { truncateIdentifier } from '../../src/precheck/items/mapping';
import { input, ref, result, spec, table } from './precheck-fixture';

describe('precheck items: mapping', () => {
  it('mapping-table-collision: two source tables on one destination table through nameCase', () => {
    const tables = [table('shop', 'Orders'), table('shop', 'orders')];
    const s = spec();
    const selection = { tables: tables.map((t) => ({ source: t.ref, target: targetTableName(s, t.ref) })), missing: [] };
    const r = result(input({ source: { tables }, selection }), 'mapping-table-collision');
    assert.equal(r.passed, false);
    assert.match(r.message, /shop\.Orders, shop\.orders -> shop\.orders/);
  });

  it('mapping-table-collision: through renameRules and an explicit rename', () => {
    const rules = { renameRules: { tables: { replace: [{ from: '_v2', to: '' }] } }, objects: [{ schema: 'shop' }] };
    const tables = [table('shop', 'items'), table('shop', 'items_v2')];
    const s = spec(rules);
    const selection = { tables: tables.map((t) => ({ source: t.ref, target: targetTableName(s, t.ref) })), missing: [] };
    assert.match(result(input({ spec: rules, source: { tables }, selection }), 'mapping-table-collision').message, /shop\.items, shop\.items_v2 -> shop\.items/);
    const renamed = { objects: [{ schema: 'shop', tables: [{ name: 'old_items', rename: 'items' }, 'items'] }] };
    const both = [table('shop', 'old_items'), table('shop', 'items')];
    const r = spec(renamed);
    const sel = { tables: both.map((t) => ({ source: t.ref, target: targetTableName(r, t.ref) })), missing: [] };
    assert.match(result(input({ spec: renamed, source: { tables: both }, selection: sel }), 'mapping-table-collision').message, /shop\.old_items, shop\.items -> shop\.items/);
  });

  it('mapping-table-collision: names equal in their first 63 bytes collide; the _pg_dts schema is reserved', () => {
    const long = 'x'.repeat(63);
    const selection = { tables: [
      { source: ref('a', 't1'), target: ref('shop', `${long}_one`) },
      { source: ref('a', 't2'), target: ref('shop', `${long}_two`) },
      { source: ref('a', 't3'), target: ref('_pg_dts', 't3') },
    ], missing: [] };
    const r = result(input({ selection }), 'mapping-table-collision');
    assert.match(r.message, /a\.t1, a\.t2 -> shop\.x{63}/);
    assert.match(r.message, /a\.t3 -> schema _pg_dts/);
    assert.equal(truncateIdentifier('é'.repeat(40)), 'é'.repeat(31), 'cut on a character boundary');
  });

  it('mapping-column-collision: nameCase lower and explicit renames', () => {
    const tables = [table('shop', 'orders', { columns: ['id', 'Name', 'name'] })];
    const r = result(input({ spec: { nameCase: 'lower' }, source: { tables } }), 'mapping-column-collision');
    assert.equal(r.passed, false);
    assert.match(r.message, /shop\.orders \(Name, name -> name\)/);
    const renamed = { objects: [{ schema: 'shop', tables: [{ name: 'orders', columns: { id: 'name' } }] }] };
    assert.match(result(input({ spec: renamed, source: { tables: [table('shop', 'orders')] } }), 'mapping-column-collision').message, /id, name -> name/);
    const excluded = { nameCase: 'lower' as const, objects: [{ schema: 'shop', tables: [{ name: 'orders', excludeColumns: ['Name'] }] }] };
    assert.equal(result(input({ spec: excluded, source: { tables } }), 'mapping-column-collision').passed, true);
  });

  it('mapping-unknown-column: excludeColumns and columns naming absent columns', () => {
    const s = { objects: [{ schema: 'shop', tables: [{ name: 'orders', excludeColumns: ['nope', 'name'], columns: { ID: 'x' } }] }] };
    const r = result(input({ spec: s }), 'mapping-unknown-column');
    assert.equal(r.passed, false);
    assert.equal(r.message, '"excludeColumns"/"columns" name columns the source table does not have: shop.orders: nope, ID');
  });

  it('mapping-excluded-key: key columns and partition key columns', () => {
    const s = { objects: [{ schema: 'shop', tables: [{ name: 'orders', excludeColumns: ['id'] }, { name: 'events', excludeColumns: ['day', 'region'] }] }] };
    const tables = [
      table('shop', 'orders'),
      table('shop', 'events', { columns: ['id', 'day', 'region'], relkind: 'p', partitionKeyColumns: ['day'], partitionKeyDef: 'RANGE (day); LIST (lower(region))' }),
    ];
    const r = result(input({ spec: s, source: { tables } }), 'mapping-excluded-key');
    assert.equal(r.passed, false);
    assert.match(r.message, /shop\.orders\.id \(in primary key orders_pkey\)/);
    assert.match(r.message, /shop\.events\.day \(in the partition key\)/);
    assert.match(r.message, /shop\.events\.region \(in the partition key\)/);
    const fine = { objects: [{ schema: 'shop', tables: [{ name: 'orders', excludeColumns: ['name'] }] }] };
    assert.equal(result(input({ spec: fine }), 'mapping-excluded-key').passed, true);
  });
});

describe('precheck items: destination', () => {
  const existing = [ref('shop', 'orders'), ref('shop', 'customers')];

  it('conflicting-tables fails naming every same-name table; ignore mode passes', () => {
    const r = result(input({ destination: { existingTargets: existing } }), 'conflicting-tables');
    assert.equal(r.passed, false);
    assert.equal(r.message, 'already on the destination: shop.orders, shop.customers');
    assert.equal(result(input({ spec: { conflictingTables: 'ignore' }, destination: { existingTargets: existing } }), 'conflicting-tables').passed, true);
  });

  it('destination-tables-exist: without schema sync every target must exist', () => {
    const r = result(input({ spec: { syncTypes: ['full'], conflictingTables: 'ignore' }, destination: { existingTargets: [existing[0]!] } }), 'destination-tables-exist');
    assert.equal(r.passed, false);
    assert.match(r.message, /do not exist on the destination: shop\.customers$/);
    assert.equal(result(input({ spec: { syncTypes: ['full'], conflictingTables: 'ignore' }, destination: { existingTargets: existing } }), 'destination-tables-exist').passed, true);
  });

  it('destination-space: fail below the data size, warn under 20 % headroom, warn when not measurable', () => {
    const mib = 2 ** 20;
    const space = (freeBytes: number) => result(input({ destination: { space: { measured: true, freeBytes, mount: '/data' } } }), 'destination-space');
    // two tables of 1 MiB each
    assert.deepEqual([space(1.5 * mib).passed, space(1.5 * mib).level], [false, 'fail']);
    assert.deepEqual([space(2.2 * mib).passed, space(2.2 * mib).level], [false, 'warn']);
    assert.equal(space(3 * mib).passed, true);
    assert.match(space(3 * mib).message, /3\.0 MiB free on the destination \(\/data\), the selected data takes 2\.0 MiB/);
    const blind = result(input({ destination: { space: { measured: false, reason: 'no COPY FROM PROGRAM' } } }), 'destination-space');
    assert.deepEqual([blind.passed, blind.level], [false, 'warn']);
    assert.match(blind.message, /not measurable: no COPY FROM PROGRAM/);
    assert.equal(bytesText(512), '512 bytes');
    assert.equal(bytesText(1.5 * 2 ** 30), '1.5 GiB');
  });

  it('destination-space: without precheck.diskSpaceProbe nothing is measured; the item passes and states the size to plan for', () => {
    const off = result(input({ destination: { space: { measured: false, reason: SPACE_NOT_PROBED } } }), 'destination-space');
    assert.deepEqual([off.passed, off.level], [true, 'warn']);
    assert.match(off.message, /^free space not measured \("precheck\.diskSpaceProbe" is off: the probe runs df on the destination's host\); the selected data takes 2\.0 MiB on the source: the destination needs more than 2\.4 MiB free$/);
    assert.equal(spec({}).precheck.diskSpaceProbe, false, 'opt-in');
    assert.equal(spec({ precheck: { diskSpaceProbe: true } }).precheck.diskSpaceProbe, true);
  });
});
