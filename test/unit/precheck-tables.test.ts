// Precheck items about the selected tables: keys, replica identity, unsupported objects, sequences,
// partition trees and row filters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { input, ref, result, table } from './precheck-fixture';

describe('precheck items: keys and replica identity', () => {
  it('primary-key names every table without a usable key', () => {
    const r = result(input({ source: { tables: [table('shop', 'orders', { key: null }), table('shop', 'customers'), table('shop', 'log', { key: null })] } }), 'primary-key');
    assert.deepEqual([r.passed, r.level], [false, 'fail']);
    assert.equal(r.message, 'no primary key or non-null unique index: shop.orders, shop.log');
  });

  it('a unique-index key passes', () => {
    const t = table('shop', 'orders', { key: { index: 'orders_code', primary: false, columns: ['code'] } });
    assert.equal(result(input({ source: { tables: [t] } }), 'primary-key').passed, true);
  });

  it('replica-identity with "full" passes and says which tables pg-dts changes', () => {
    const r = result(input({ source: { tables: [table('shop', 'orders'), table('shop', 'customers', { replicaIdentity: 'f' })] } }), 'replica-identity');
    assert.equal(r.passed, true);
    assert.match(r.message, /sets REPLICA IDENTITY FULL at start on shop\.orders and restores it at release/);
    assert.doesNotMatch(r.message, /customers/);
  });

  it('replica-identity with "keep" warns on tables not FULL', () => {
    const r = result(input({ spec: { replicaIdentity: 'keep' } }), 'replica-identity');
    assert.deepEqual([r.passed, r.level], [false, 'warn']);
    assert.match(r.message, /shop\.orders, shop\.customers/);
    const full = input({ spec: { replicaIdentity: 'keep' }, source: { tables: [table('shop', 'orders', { replicaIdentity: 'f' })] } });
    assert.equal(result(full, 'replica-identity').passed, true);
  });

  it('replica-identity-none fails with "keep" on NOTHING or DEFAULT without a primary key', () => {
    const tables = [
      table('shop', 'a', { replicaIdentity: 'n' }),
      table('shop', 'b', { key: { index: 'b_code', primary: false, columns: ['code'] } }),
      table('shop', 'c', { replicaIdentity: 'i', key: { index: 'c_code', primary: false, columns: ['code'] } }),
      table('shop', 'd'),
    ];
    const r = result(input({ spec: { replicaIdentity: 'keep' }, source: { tables } }), 'replica-identity-none');
    assert.equal(r.passed, false);
    assert.match(r.message, /on shop\.a, shop\.b \(/);
    assert.throws(() => result(input({ source: { tables } }), 'replica-identity-none'), /not in the report/, 'only with "keep"');
  });
});

describe('precheck items: unsupported objects', () => {
  it('unsupported-hypertable names the hypertables', () => {
    const r = result(input({ source: { hypertables: [ref('shop', 'metrics')] } }), 'unsupported-hypertable');
    assert.equal(r.passed, false);
    assert.match(r.message, /shop\.metrics/);
  });

  it('unsupported-inheritance: across schemas, or with an unselected parent or child; same-schema selected pairs pass', () => {
    const i = (inheritance: { parent: { schema: string; name: string }; child: { schema: string; name: string } }[]) =>
      result(input({ source: { inheritance } }), 'unsupported-inheritance');
    assert.equal(i([{ parent: ref('shop', 'orders'), child: ref('shop', 'customers') }]).passed, true);
    const across = i([{ parent: ref('shop', 'orders'), child: ref('archive', 'orders_2020') }]);
    assert.equal(across.passed, false);
    assert.match(across.message, /archive\.orders_2020 INHERITS shop\.orders \(across schemas\)/);
    assert.match(i([{ parent: ref('shop', 'base'), child: ref('shop', 'orders') }]).message, /parent not selected/);
    assert.match(i([{ parent: ref('shop', 'orders'), child: ref('shop', 'old_orders') }]).message, /child not selected/);
  });

  it('unsupported-extension-object names tables and schemas with their extension', () => {
    const r = result(input({ source: { extensionMembers: [{ kind: 'table', name: 'public.spatial_ref_sys', extension: 'postgis' }] } }), 'unsupported-extension-object');
    assert.equal(r.passed, false);
    assert.match(r.message, /table public\.spatial_ref_sys \(extension postgis\)/);
  });
});

describe('precheck items: sequences', () => {
  const use = (owner: { schema: string; name: string } | null, seqSchema = 'shop') =>
    ({ table: ref('shop', 'orders'), column: 'id', sequence: ref(seqSchema, 'orders_id_seq'), owner });

  it('passes for sequences owned by a selected table or in a whole selected schema', () => {
    assert.equal(result(input({ source: { sequences: [use(ref('shop', 'customers'), 'elsewhere')] } }), 'sequences').passed, true);
    assert.equal(result(input({ source: { sequences: [use(null, 'shop')] } }), 'sequences').passed, true);
  });

  it('without schema sync, warns for a sequence owned by an unselected table or by nothing, outside the selected schemas', () => {
    const r = result(input({ spec: { syncTypes: ['full', 'incremental'], objects: [{ schema: 'shop', tables: ['orders', 'customers'] }] }, source: { sequences: [use(null), use(ref('other', 'x'), 'other')] } }), 'sequences');
    assert.deepEqual([r.passed, r.level], [false, 'warn']);
    assert.match(r.message, /shop\.orders\.id uses shop\.orders_id_seq \(owned by no table\)/);
    assert.match(r.message, /owned by other\.x, not selected/);
  });

  it('with schema sync, passes and says which extra sequences schema sync creates', () => {
    const r = result(input({ spec: { objects: [{ schema: 'shop', tables: ['orders'] }] }, source: { sequences: [use(ref('other', 'x'), 'other')] } }), 'sequences');
    assert.equal(r.passed, true);
    assert.match(r.message, /schema sync also creates the sequences these defaults use: shop\.orders\.id uses other\.orders_id_seq/);
  });
});

describe('precheck items: partitions', () => {
  it('passes for a whole partitioned table', () => {
    assert.equal(result(input({ source: { tables: [table('shop', 'events', { relkind: 'p' })] } }), 'partitions').passed, true);
  });

  it('fails for a partition without its root, a partition next to its root, and foreign partitions', () => {
    const r = result(input({
      source: {
        tables: [table('shop', 'events', { relkind: 'p' }), table('shop', 'events_2024', { relispartition: true }), table('shop', 'm_1', { relispartition: true })],
        partitionsOfRoots: [
          { partition: ref('shop', 'events_2024'), root: ref('shop', 'events') },
          { partition: ref('shop', 'm_1'), root: ref('shop', 'metrics') },
        ],
        foreignPartitions: [{ partition: ref('shop', 'events_remote'), root: ref('shop', 'events') }],
      },
    }), 'partitions');
    assert.equal(r.passed, false);
    assert.match(r.message, /without their partitioned table: shop\.m_1 \(of shop\.metrics\)/);
    assert.match(r.message, /next to their partitioned table, which already brings them: shop\.events_2024/);
    assert.match(r.message, /foreign-table partitions.*shop\.events_remote/);
  });

  it('passes for partitioned tables on a source before 13 (their partitions are published one by one)', () => {
    const i = input({ source: { versionNum: 110022, isSuperuser: true, tables: [table('shop', 'events', { relkind: 'p' })] } });
    assert.equal(result(i, 'partitions').passed, true);
  });

  it('fails for partitioned tables on a source before 13 without a superuser: later partitions would not be published', () => {
    const i = input({ source: { versionNum: 120000, isSuperuser: false, tables: [table('shop', 'events', { relkind: 'p' })] } });
    const r = result(i, 'partitions');
    assert.equal(r.passed, false);
    assert.match(r.message, /PostgreSQL 12 publishes partitions one by one .* not a superuser.*shop\.events/);
    assert.match(r.fix ?? '', /superuser or deselect partitioned tables/);
  });
});

describe('precheck items: row filters', () => {
  const filtered = { tables: [table('shop', 'orders', { columns: ['id', 'status'] })] };
  const withWhere = { objects: [{ schema: 'shop', tables: [{ name: 'orders', where: "status = 'open'" }] }] };

  it('row-filter-version passes below 15 too (the task evaluates the filter), with incremental sync only', () => {
    const facts = { ...filtered, versionNum: 140000, rowFilters: [{ table: ref('shop', 'orders'), where: "status = 'open'", problem: null, columns: ['status'] }] };
    const r = result(input({ spec: withWhere, source: facts }), 'row-filter-version');
    assert.equal(r.passed, true);
    assert.match(r.message, /no publication row filters: the task evaluates each filter on the source.*shop\.orders/);
    assert.throws(() => result(input({ spec: { ...withWhere, syncTypes: ['schema', 'full'] }, source: facts }), 'row-filter-version'), /not in the report/);
    assert.equal(result(input({ spec: withWhere, source: { ...facts, versionNum: 150000 } }), 'row-filter-version').passed, true);
  });

  it('row-filter reports the validator\'s problem', () => {
    const r = result(input({ spec: withWhere, source: { ...filtered, rowFilters: [{ table: ref('shop', 'orders'), where: 'random() > 1', problem: 'random() is not immutable' }] } }), 'row-filter');
    assert.equal(r.passed, false);
    assert.match(r.message, /shop\.orders: random\(\) is not immutable/);
  });

  it('row-filter with "keep" passes only when the filter reads primary-key columns (or the table is FULL)', () => {
    const rf = (columns?: string[]) => [{ table: ref('shop', 'orders'), where: 'x', problem: null, columns }];
    const keep = { ...withWhere, replicaIdentity: 'keep' as const };
    assert.equal(result(input({ spec: keep, source: { ...filtered, rowFilters: rf(['id']) } }), 'row-filter').passed, true);
    assert.equal(result(input({ spec: keep, source: { ...filtered, rowFilters: rf(['status']) } }), 'row-filter').passed, false);
    assert.equal(result(input({ spec: keep, source: { ...filtered, rowFilters: rf(undefined) } }), 'row-filter').passed, false);
    const full = { tables: [table('shop', 'orders', { replicaIdentity: 'f' })] };
    assert.equal(result(input({ spec: keep, source: { ...full, rowFilters: rf(['status']) } }), 'row-filter').passed, true);
    assert.equal(result(input({ spec: withWhere, source: { ...filtered, rowFilters: rf(['status']) } }), 'row-filter').passed, true);
  });
});
