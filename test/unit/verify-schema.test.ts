// Pure logic of schema verification: a table's shape mapped as schema sync maps it (renamed and excluded
// columns, what uses an excluded column, foreign keys to tables not synced, qualified names), compared
// with the destination's as its server prints it; the comparison's kinds, the report and its text.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { columnMapper, type Mapping } from '../../src/catalog/names';
import { loadColumnParser } from '../../src/schema/column-map';
import { nameReplacer } from '../../src/schema/ddl';
import { formatSchema } from '../../src/cli/verify-schema-text';
import { exitCodeOf, summarize } from '../../src/verify/compare';
import { outcomeOf } from '../../src/verify/continuous';
import type { RawTable } from '../../src/verify/schema-catalog';
import { recheck } from '../../src/verify/schema';
import { sameViewDefinition } from '../../src/verify/schema-views';
import { objectText } from '../../src/verify/schema-sides';
import { compareNamed, compareObjects, compareShapes, MAX_LISTED_DIFFERENCES, schemaNotCompared, schemaReport } from '../../src/verify/schema-compare';
import { columnText, indexText, markedLookup, tableShape, type ShapeMapping } from '../../src/verify/schema-shape';
import type { VerifyReport } from '../../src/verify/types';

const spec: Mapping = {
  nameCase: 'default',
  objects: [{ schema: 'Shop', rename: 'shop', tables: [{ name: 'Orders', rename: 'orders', columns: { Amount: 'total' }, excludeColumns: ['secret'] }, 'customers'] }],
};

const col = (name: string, typeSql: string, extra: Partial<RawTable['columns'][number]> = {}): RawTable['columns'][number] => ({
  name, typeSql, collationSql: null, notNull: false, identity: '', generatedSql: null, defaultSql: null, userType: null, ...extra,
});

/** The source table as the source's server prints it (search_path ''). */
const source: RawTable = {
  ref: { schema: 'Shop', name: 'Orders' }, oid: 1, printed: '"Shop"."Orders"',
  columns: [
    col('id', 'integer', { notNull: true, defaultSql: `nextval('"Shop"."Orders_id_seq"'::regclass)` }),
    col('Amount', 'numeric(10,2)', { notNull: true }),
    col('secret', 'text'),
    col('state', '"Shop".state', { userType: { text: '"Shop".state', ref: { schema: 'Shop', name: 'state' } } }),
    col('doubled', 'numeric', { generatedSql: '("Amount" * (2)::numeric)' }),
    col('leak', 'text', { generatedSql: 'upper(secret)' }),
    col('customer', 'integer'),
  ],
  constraints: [
    { name: 'Orders_pkey', type: 'p', definition: 'PRIMARY KEY (id)' },
    { name: 'amount_positive', type: 'c', definition: 'CHECK (("Amount" > (0)::numeric))' },
    { name: 'secret_short', type: 'c', definition: 'CHECK ((length(secret) < 10))' },
    { name: 'orders_customer_fkey', type: 'f', definition: 'FOREIGN KEY (customer) REFERENCES "Shop".customers(id)', refTable: { schema: 'Shop', name: 'customers' } },
    { name: 'orders_audit_fkey', type: 'f', definition: 'FOREIGN KEY (id) REFERENCES "Shop".audit(id)', refTable: { schema: 'Shop', name: 'audit' } },
  ],
  indexes: [
    { name: 'Orders_pkey', definition: 'CREATE UNIQUE INDEX "Orders_pkey" ON "Shop"."Orders" USING btree (id)', valid: true, constraint: true },
    { name: 'open_orders', definition: `CREATE INDEX open_orders ON "Shop"."Orders" USING btree ("Amount") WHERE (state = 'open'::"Shop".state)`, valid: true, constraint: false },
    { name: 'by_secret', definition: 'CREATE INDEX by_secret ON "Shop"."Orders" USING btree (secret)', valid: true, constraint: false },
    { name: 'lower_amount', definition: 'CREATE INDEX lower_amount ON "Shop"."Orders" USING btree ((("Amount")::text))', valid: true, constraint: false },
  ],
  sequences: [{ printed: '"Shop"."Orders_id_seq"', ref: { schema: 'Shop', name: 'Orders_id_seq' } }],
};

/** What schema sync made of it, as the destination's server prints it. */
const destination: RawTable = {
  ref: { schema: 'shop', name: 'orders' }, oid: 2, printed: 'shop.orders',
  columns: [
    col('id', 'integer', { notNull: true, defaultSql: `nextval('shop.orders_id_seq'::regclass)` }),
    col('total', 'numeric(10,2)', { notNull: true }),
    col('state', 'shop.state'),
    col('doubled', 'numeric', { generatedSql: '(total * (2)::numeric)' }),
    col('customer', 'integer'),
  ],
  constraints: [
    { name: 'Orders_pkey', type: 'p', definition: 'PRIMARY KEY (id)' },
    { name: 'amount_positive', type: 'c', definition: 'CHECK ((total > (0)::numeric))' },
    { name: 'orders_customer_fkey', type: 'f', definition: 'FOREIGN KEY (customer) REFERENCES shop.customers(id)', refTable: { schema: 'shop', name: 'customers' } },
  ],
  indexes: [
    { name: 'Orders_pkey', definition: 'CREATE UNIQUE INDEX "Orders_pkey" ON shop.orders USING btree (id)', valid: true, constraint: true },
    { name: 'open_orders', definition: `CREATE INDEX open_orders ON shop.orders USING btree (total) WHERE (state = 'open'::shop.state)`, valid: true, constraint: false },
    { name: 'lower_amount', definition: 'CREATE INDEX lower_amount ON shop.orders USING btree (((total)::text))', valid: true, constraint: false },
  ],
  sequences: [],
};

const customers = { schema: 'Shop', name: 'customers' };
const sourceMapping: ShapeMapping = {
  column: columnMapper(spec, source.ref),
  parse: true,
  lookup: markedLookup(source.columns.map((c) => c.name), columnMapper(spec, source.ref)),
  referenced: (t) => (t.schema === customers.schema && t.name === customers.name ? { lookup: markedLookup(['id'], (c) => c), parse: false } : 'skip'),
  rename: nameReplacer([
    ['"Shop"."Orders"', 'shop.orders'], ['"Shop".customers', 'shop.customers'], ['"Shop"."Orders_id_seq"', 'shop.orders_id_seq'], ['"Shop".state', 'shop.state'],
  ]),
};
const destinationMapping = (table: RawTable): ShapeMapping => ({
  column: (c) => c, parse: true, lookup: markedLookup(table.columns.map((c) => c.name), (c) => c),
  referenced: () => ({ lookup: markedLookup(['id'], (c) => c), parse: false }), rename: (s) => s,
});

const withChanges = (change: (t: RawTable) => void): RawTable => {
  const t = structuredClone(destination);
  change(t);
  return t;
};

describe('verify schema: a table mapped as schema sync maps it', () => {
  before(() => loadColumnParser());

  it('a destination made by schema sync from the source has no difference', () => {
    const expected = tableShape(source, sourceMapping);
    assert.deepEqual(compareShapes(expected, tableShape(destination, destinationMapping(destination))), []);
    assert.deepEqual([...expected.columns.keys()], ['id', 'total', 'state', 'doubled', 'customer'], 'excluded column and the generated column over it left out');
    assert.deepEqual([...expected.constraints.keys()], ['Orders_pkey', 'amount_positive', 'orders_customer_fkey'], 'a CHECK on an excluded column and a foreign key to a table not synced left out');
    assert.deepEqual([...expected.indexes.keys()], ['open_orders', 'lower_amount'], 'the key\'s index is the constraint; the index on an excluded column left out');
    assert.equal(expected.columns.get('id'), `integer DEFAULT nextval('shop.orders_id_seq'::regclass) NOT NULL`);
  });

  it('reports each kind of drift with its object and both sides, names shown without the internal mark', () => {
    const drifted = withChanges((t) => {
      t.indexes = t.indexes.filter((i) => i.name !== 'open_orders');
      t.columns.find((c) => c.name === 'total')!.typeSql = 'numeric';
      t.columns.find((c) => c.name === 'customer')!.defaultSql = '0';
      t.columns.push(col('note', 'text'));
      t.constraints.push({ name: 'total_small', type: 'c', definition: 'CHECK ((total < (1000)::numeric))' });
      t.constraints.find((c) => c.name === 'amount_positive')!.name = 'orders_total_check';
    });
    const diffs = compareShapes(tableShape(source, sourceMapping), tableShape(drifted, destinationMapping(drifted)));
    const byObject = new Map(diffs.map((d) => [d.object, d]));
    assert.deepEqual([...byObject.keys()].sort(), ['column customer', 'column note', 'column total', 'constraint amount_positive', 'constraint total_small', 'index open_orders']);
    assert.deepEqual(byObject.get('column total'), { object: 'column total', kind: 'different', source: 'numeric(10,2) NOT NULL', destination: 'numeric NOT NULL' });
    assert.deepEqual(byObject.get('column customer'), { object: 'column customer', kind: 'different', source: 'integer', destination: 'integer DEFAULT 0' });
    assert.deepEqual(byObject.get('column note'), { object: 'column note', kind: 'extra', source: null, destination: 'text' });
    assert.equal(byObject.get('index open_orders')!.kind, 'missing');
    assert.equal(byObject.get('index open_orders')!.source, `CREATE INDEX ON shop.orders USING btree (total) WHERE (state = 'open'::shop.state)`, 'shown as the server prints it');
    assert.equal(byObject.get('constraint total_small')!.kind, 'extra');
    const renamed = byObject.get('constraint amount_positive')!;
    assert.equal(renamed.kind, 'different', 'the same CHECK under another name is one difference, of name');
    assert.equal(renamed.destination, 'orders_total_check: CHECK ((total > (0)::numeric))');
  });

  it('an invalid index differs from the valid one', () => {
    const drifted = withChanges((t) => (t.indexes.find((i) => i.name === 'lower_amount')!.valid = false));
    const diffs = compareShapes(tableShape(source, sourceMapping), tableShape(drifted, destinationMapping(drifted)));
    assert.deepEqual(diffs.map((d) => [d.object, d.kind]), [['index lower_amount', 'different']]);
    assert.match(diffs[0]!.destination!, /\(INVALID\)$/);
  });

  it('an identity-mapped table is compared as printed, without the parser', () => {
    const plain: RawTable = { ...destination, columns: [col('a', 'integer', { identity: 'a', notNull: true })], constraints: [], sequences: [],
      indexes: [{ name: 'a_idx', definition: 'CREATE INDEX a_idx ON shop.orders USING btree (a)', valid: true, constraint: false }] };
    const same: ShapeMapping = { column: (c) => c, parse: false, lookup: () => undefined, referenced: () => 'skip', rename: (s) => s };
    assert.deepEqual(compareShapes(tableShape(plain, same), tableShape(plain, same)), []);
    assert.equal(tableShape(plain, same).columns.get('a'), 'integer GENERATED ALWAYS AS IDENTITY NOT NULL');
  });
});

describe('verify schema: texts and comparison', () => {
  it('column and index texts', () => {
    assert.equal(columnText({ typeSql: 'text', collationSql: 'COLLATE pg_catalog."C"', generatedSql: null, identity: 'd', defaultSql: 'x', notNull: false }),
      'text COLLATE pg_catalog."C" GENERATED BY DEFAULT AS IDENTITY');
    assert.equal(indexText('CREATE UNIQUE INDEX "My Idx" ON s.t USING btree (a)', true), 'CREATE UNIQUE INDEX ON s.t USING btree (a)');
    assert.equal(indexText('CREATE INDEX i ON ONLY s.t USING btree (a)', true), 'CREATE INDEX ON ONLY s.t USING btree (a)');
  });

  it('named definitions: missing, extra, different; renamed ones paired only when asked', () => {
    const e = new Map([['a', '1'], ['b', '2'], ['c', '3']]);
    const a = new Map([['a', '1'], ['b', '20'], ['x', '3']]);
    assert.deepEqual(compareNamed('index', e, a, false).map((d) => [d.object, d.kind]), [['index b', 'different'], ['index c', 'missing'], ['index x', 'extra']]);
    assert.deepEqual(compareNamed('index', e, a, true).map((d) => [d.object, d.kind, d.destination]), [['index b', 'different', '20'], ['index c', 'different', 'x: 3']]);
  });

  it('objects: what schema sync does not create is left alone on the destination', () => {
    const expected = new Map([['view s.v', 'CREATE VIEW'], ['function s.f()', 'BODY']]);
    const actual = new Map([['function s.f()', 'BODY2'], ['trigger t on s.x', 'T'], ['function s.secdef()', 'S']]);
    const diffs = compareObjects(expected, actual, new Set(['function s.secdef()']));
    assert.deepEqual(diffs.map((d) => [d.object, d.kind]), [['function s.f()', 'different'], ['view s.v', 'missing'], ['trigger t on s.x', 'extra']]);
  });

  it('the report lists at most MAX_LISTED_DIFFERENCES, counts all; its differences decide the exit code', () => {
    const many = Array.from({ length: MAX_LISTED_DIFFERENCES + 5 }, (_, i) => ({ object: `column c${i}`, kind: 'extra' as const, source: null, destination: 'text' }));
    const compared = { tables: 2, columns: 10, constraints: 1, indexes: 1, objects: 1, sequences: 0 };
    const report = schemaReport([{ table: 's.t', target: 's.t', differences: many }, { table: 's.u', target: 's.u', differences: [] }],
      [{ object: 'view s.v', kind: 'missing', source: 'x', destination: null }], compared, 0, 5);
    assert.equal(report.differences, MAX_LISTED_DIFFERENCES + 6);
    assert.equal(report.tables.length, 1);
    assert.equal(report.tables[0]!.differences.length, MAX_LISTED_DIFFERENCES);
    assert.equal(report.objects.length, 0);
    assert.equal(report.omitted, 6);

    const rowsEqual: VerifyReport = {
      task: 't', mode: 'checksum', state: 'done', taskPhase: 'incremental', streaming: true, startedAt: '', finishedAt: '', tables: [],
      differingTables: 0, differences: 0, unsettled: 0, error: null,
    };
    const small = schemaReport([{ table: 's.t', target: 's.t', differences: many.slice(0, 2) }], [], compared, 0, 5);
    const summed = summarize({ ...rowsEqual, schema: small });
    assert.equal(summed.differences, 2);
    assert.equal(summed.differingTables, 1);
    assert.equal(exitCodeOf(summed), 1);
    assert.equal(exitCodeOf(summarize({ ...rowsEqual, schema: schemaReport([], [], compared, 0, 5) })), 0);
    // Differences never confirmed under migrations: not differences, one unsettled part (exit code 3).
    const unsettled = summarize({ ...rowsEqual, schema: schemaReport([{ table: 's.t', target: 's.t', differences: many.slice(0, 2) }], [], compared, 0, 5, true) });
    assert.equal(unsettled.differences, 0);
    assert.equal(unsettled.differingTables, 0);
    assert.equal(unsettled.unsettled, 1);
    assert.equal(exitCodeOf(unsettled), 3);

    // A schema the servers could not compare (a catalog query refused for good): visible, one unsettled part.
    const notCompared = summarize({ ...rowsEqual, schema: schemaNotCompared('function pg_partition_tree(regclass) does not exist', 3) });
    assert.deepEqual([notCompared.differences, notCompared.unsettled, exitCodeOf(notCompared)], [0, 1, 3]);
    assert.deepEqual(formatSchema(notCompared.schema!), ['  UNSETTLED schema: not compared: function pg_partition_tree(regclass) does not exist']);

    // Continuous verification names the tables whose schema differs in its outcome (and alert).
    const outcome = outcomeOf({ workflowId: 't-verify-1', startedAt: '' }, summed, '', false);
    assert.equal(outcome.state, 'differences');
    assert.deepEqual(outcome.tables, ['s.t']);
  });

  it('the text block names each difference with both sides', () => {
    const text = formatSchema(schemaReport(
      [{ table: 'Shop.Orders', target: 'shop.orders', differences: [
        { object: 'column total', kind: 'different', source: 'numeric(10,2)', destination: 'numeric' },
        { object: 'index open_orders', kind: 'missing', source: 'CREATE INDEX ON shop.orders USING btree (total)', destination: null },
      ] }],
      [{ object: 'view shop.v', kind: 'missing', source: 'CREATE OR REPLACE VIEW shop.v AS SELECT 1', destination: null }],
      { tables: 1, columns: 5, constraints: 2, indexes: 2, objects: 1, sequences: 1 }, 2, 7,
    )).join('\n');
    assert.match(text, /DIFFERS\s+schema: 3 difference\(s\) \(1 tables, 5 columns, 2 constraints, 2 indexes, 1 objects, 1 sequences compared; 2 source object/);
    assert.match(text, /Shop\.Orders -> shop\.orders:/);
    assert.match(text, /different column total: source numeric\(10,2\); destination numeric/);
    assert.match(text, /missing\s+index open_orders: source CREATE INDEX/);
    assert.match(text, /missing\s+view shop\.v/);
  });
});

describe('verify schema: the re-check rule over the whole schema', () => {
  /** Reads played from scripts: each read of a side returns its next state (the last one repeats). */
  const play = (sources: number[], destinations: number[]) => {
    const log: string[] = [];
    const next = (list: number[], what: string) => () => {
      log.push(what);
      return Promise.resolve(list.length > 1 ? list.shift()! : list[0]!);
    };
    return { log, read: { source: next(sources, 's'), destination: next(destinations, 'd'), lsn: () => Promise.resolve('0/1') } };
  };
  const differ = (a: number, b: number): number => (a === b ? 0 : 1);
  const applied = () => Promise.resolve(true);

  it('equal at the quick look: one read of each side, no wait', async () => {
    const { log, read } = play([1], [1]);
    assert.deepEqual(await recheck(read, differ, applied, 6), { source: 1, destination: 1, settled: true });
    assert.deepEqual(log, ['s', 'd']);
  });

  it('a migration the destination has not applied yet: equal once the stream applied past the source read', async () => {
    const { read } = play([2], [1, 2]);
    assert.deepEqual(await recheck(read, differ, applied, 6), { source: 2, destination: 2, settled: true });
  });

  it('drift: different in CONFIRMATIONS comparisons where the source did not change', async () => {
    const { log, read } = play([1], [5]);
    assert.deepEqual(await recheck(read, differ, applied, 6), { source: 1, destination: 5, settled: true });
    assert.deepEqual(log, ['s', 'd', 's', 'd', 's', 's', 'd', 's']);
  });

  it('a source that changes during every comparison never settles; a task not streaming is compared once', async () => {
    const { read } = play([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14], [0]);
    assert.equal((await recheck(read, differ, applied, 6)).settled, false);
    const stalled = play([1], [0]);
    assert.equal((await recheck(stalled.read, differ, () => Promise.resolve(false), 3)).settled, false, 'the stream never got past the read');
    const once = play([1], [0]);
    assert.deepEqual(await recheck(once.read, differ, null, 6), { source: 1, destination: 0, settled: true });
    assert.deepEqual(once.log, ['s', 'd']);
  });
});

describe('verify schema: views printed by servers of different versions', () => {
  before(() => loadColumnParser());

  const v15 = 'CREATE OR REPLACE VIEW "vs"."item_names" AS SELECT items.id, items.name FROM vs.items WHERE (items.qty > 0) ORDER BY items.name';
  const v17 = 'CREATE OR REPLACE VIEW "vs"."item_names" AS SELECT id, name FROM vs.items WHERE (qty > 0) ORDER BY name';

  it('a query over one relation: qualified (before 16) and bare (16 on) columns are the same view', () => {
    assert.equal(sameViewDefinition(v15, v17), true);
    assert.equal(sameViewDefinition(v15.replace('(items.qty > 0)', '(items.qty > 1)'), v17), false, 'another condition is another view');
    assert.equal(sameViewDefinition('CREATE VIEW v AS SELECT i.id FROM s.items i', 'CREATE VIEW v AS SELECT id FROM s.items i'), true, 'an alias too');
    assert.equal(sameViewDefinition(v15, 'not sql at all'), false);
  });

  it('joins keep their qualifiers, a correlated subquery its outer reference', () => {
    const join = 'CREATE VIEW v AS SELECT i.id, p.name FROM s.items i JOIN s.projects p ON p.id = i.project';
    assert.equal(sameViewDefinition(join, join.replace('SELECT i.id', 'SELECT id')), false);
    const sub = 'CREATE VIEW v AS SELECT p.id FROM s.projects p, s.x WHERE EXISTS (SELECT 1 FROM s.items i WHERE i.project = p.id)';
    assert.equal(sameViewDefinition(sub, sub.replace('i.project = p.id', 'project = id')), false);
  });

  it('a trigger printed by a server before 12 (EXECUTE PROCEDURE) is the same; routine bodies keep their whitespace', () => {
    const trigger = (word: string) => ({ kind: 'trigger', statements: ['DROP TRIGGER IF EXISTS t ON s.x', `CREATE TRIGGER t BEFORE UPDATE ON s.x\n  FOR EACH ROW EXECUTE ${word} s.f()`] });
    assert.equal(objectText(trigger('PROCEDURE')), objectText(trigger('FUNCTION')));
    assert.equal(objectText(trigger('FUNCTION')), 'DROP TRIGGER IF EXISTS t ON s.x; CREATE TRIGGER t BEFORE UPDATE ON s.x FOR EACH ROW EXECUTE FUNCTION s.f()');
    const body = { kind: 'function', statements: ['CREATE FUNCTION s.f() AS $$ a  b $$'] };
    assert.notEqual(objectText(body), objectText({ ...body, statements: ['CREATE FUNCTION s.f() AS $$ a b $$'] }));
  });

  it('objects: a view printed by another version is no difference, a changed one is', () => {
    const matview = (v: string): string => `${v.replace('CREATE OR REPLACE VIEW "vs"."item_names"', 'CREATE MATERIALIZED VIEW IF NOT EXISTS "vs"."m"')} WITH DATA`;
    const expected = new Map([['view vs.item_names', v15], ['materialized view vs.m', matview(v15)]]);
    const actual = new Map([['view vs.item_names', v17], ['materialized view vs.m', matview(v17)]]);
    assert.deepEqual(compareObjects(expected, actual, new Set()), []);
    actual.set('view vs.item_names', v17.replace('qty > 0', 'qty > 5'));
    assert.deepEqual(compareObjects(expected, actual, new Set()).map((d) => [d.object, d.kind]), [['view vs.item_names', 'different']]);
  });
});
